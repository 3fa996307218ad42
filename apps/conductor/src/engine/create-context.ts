import type pg from 'pg';
import type { RolloutConfig } from '../config/index.js';
import { environment } from '../config/index.js';
import { audit, updateRelease, type Release } from '../store/index.js';
import type { ProgressSink, RolloutContext, RunServices } from './context.js';

export function createContext<S extends RunServices>(o: {
  store: pg.Pool;
  config: RolloutConfig;
  envName: string;
  release: Release;
  actor: string;
  services: S;
  progress?: ProgressSink;
  signal?: AbortSignal;
}): RolloutContext<S> {
  const { env } = environment(o.config, o.envName);
  const ctx: RolloutContext<S> = {
    envName: o.envName,
    env,
    config: o.config,
    store: o.store,
    actor: o.actor,
    signal: o.signal ?? new AbortController().signal,
    progress: o.progress ?? (() => undefined),
    services: o.services,
    release: o.release,
    async update(patch) {
      const next = { ...patch };
      // data is merged so steps can keep their own keys without clobbering each other's
      if (patch.data) next.data = { ...ctx.release.data, ...patch.data };
      ctx.release = await updateRelease(o.store, ctx.release.id, next);
      return ctx.release;
    },
    async audit(action, result, details) {
      await audit(o.store, { actor: o.actor, env: o.envName, releaseId: ctx.release.id, action, result, ...(details ? { details } : {}) });
    },
  };
  return ctx;
}
