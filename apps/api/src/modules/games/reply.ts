import type { FastifyReply } from 'fastify';
import type { PlayResult } from './play.js';

/** Sends a play result; a replay has the same status and body, and says so in a header. */
export function sendPlay(reply: FastifyReply, result: PlayResult): FastifyReply {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(200).send(result.body);
}
