import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; field?: string };
}

function body(code: string, message: string, requestId: string, field?: string): ErrorBody {
  return { error: { code, message, requestId, ...(field ? { field } : {}) } };
}

/**
 * Maps every thrown value to the public error shape. Fastify's own errors (bad JSON, too large,
 * wrong content type) are client errors and keep their 4xx; anything unknown is a 500 whose
 * details go to the log and Sentry, never to the client.
 */
export function handleError(
  err: FastifyError | AppError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
  report: (err: unknown, req: FastifyRequest) => void,
): FastifyReply {
  const requestId = String(req.id);
  if (err instanceof AppError) {
    if (err.headers) reply.headers(err.headers);
    if (err.status >= 500) report(err, req);
    return reply.status(err.status).send(body(err.code, err.message, requestId, err.field));
  }
  const fe = err as FastifyError;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status === 413) return reply.status(413).send(body('payload_too_large', 'body: is larger than the request size limit.', requestId, 'body'));
  if (status >= 400 && status < 500) {
    const code = fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'bad_request' : 'bad_request';
    const message =
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'body: must not be empty when Content-Type is application/json'
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'body: unsupported Content-Type; send application/json'
          : `body: ${fe.message.replace(/^Body /, '')}`;
    return reply.status(status).send(body(code, message, requestId, 'body'));
  }
  req.log.error({ err }, 'unhandled error');
  report(err, req);
  return reply.status(500).send(body('internal', 'Something went wrong on our side. Try again.', requestId));
}

/** Errors Fastify raises before routing: a URL that is not valid percent-encoding, and the like. */
export function handleFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const requestId = String(req.id);
  reply.header('x-content-type-options', 'nosniff');
  if (err.code === 'FST_ERR_BAD_URL') {
    return reply.status(400).send(body('bad_request', 'url: is not valid percent-encoding.', requestId, 'url'));
  }
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  return reply.status(status).send(body('bad_request', 'request: could not be read.', requestId));
}

const CLIENT_ERRORS: Record<string, { status: number; reason: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', message: 'headers: are larger than the server accepts.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', message: 'request: took too long to arrive.' },
};

/**
 * Node's HTTP parser refused the request before Fastify saw it (a control character in a
 * header, oversized headers, a timeout): answer in the public error shape, then close.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket, logger: Logger): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[err.code ?? ''] ?? { status: 400, reason: 'Bad Request', message: 'request: is not valid HTTP (for example a control character in a header).' };
  const requestId = randomUUID();
  // err.code and the message only: the parser's error carries the raw bytes it choked on.
  logger.debug({ code: err.code, requestId }, 'client error');
  if (socket.writable) {
    const json = JSON.stringify(body('bad_request', known.message, requestId));
    socket.write(
      `HTTP/1.1 ${known.status} ${known.reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}
