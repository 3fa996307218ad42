import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';

// Placeholder: routes of this domain are being written.
export function adminModule(_ctx: AppContext): FastifyPluginAsync {
  return async () => undefined;
}
