// Second validation pass over a shape-valid state: checks of meaning that a schema cannot
// express well. Each failure names its field, as the admin API reports it.
import net from 'node:net';
import type { RouterState } from '@cc/contracts';
import { routerStateSchema } from '@cc/contracts';
import type { z } from 'zod';
import { RouterError } from './errors.js';

/** Shape (zod) then meaning; throws RouterError('invalid_state') naming the first bad field. */
export function parseRouterState(input: unknown, pathPrefix = ''): RouterState {
  const parsed = routerStateSchema.safeParse(input);
  if (!parsed.success) throw fromZod(parsed.error, pathPrefix, 'invalid_state');
  checkMeaning(parsed.data, pathPrefix);
  return parsed.data;
}

export function checkMeaning(state: RouterState, pathPrefix = ''): void {
  state.maintenance.allowCidrs.forEach((cidr, i) => {
    const [addr = '', bits = ''] = cidr.split('/');
    const family = net.isIP(addr);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || Number(bits) > max) {
      throw new RouterError('invalid_state', `${cidr} is not a valid CIDR`, { field: `${pathPrefix}maintenance.allowCidrs[${i}]` });
    }
  });
}

export function fromZod(err: z.ZodError, pathPrefix: string, code: 'invalid_state' | 'invalid_input'): RouterError {
  const issue = err.issues[0];
  const field = pathPrefix + formatPath(issue?.path ?? []);
  return new RouterError(code, `${field || 'body'}: ${issue?.message ?? 'invalid'}`, { cause: err, field: field || 'body' });
}

/** ['services','api','targets',2,'url'] -> services.api.targets[2].url */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}
