import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
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
