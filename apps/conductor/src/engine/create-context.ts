import type pg from 'pg';
import type { RolloutConfig } from '../config/index.js';
import { environment } from '../config/index.js';
import { audit, defaultChannel, identityOf, mergeReleaseState, updateRelease, type Actor, type Release } from '../store/index.js';
import type { ProgressSink, RolloutContext, RunServices } from './context.js';

export function createContext<S extends RunServices>(o: {
  store: pg.Pool;
  config: RolloutConfig;
  envName: string;
  release: Release;
  actor: string | Actor;
  services: S;
  progress?: ProgressSink;
  signal?: AbortSignal;
}): RolloutContext<S> {
  const { env } = environment(o.config, o.envName);
  const by: Actor = typeof o.actor === 'string' ? { identity: identityOf(o.actor), channel: defaultChannel() } : o.actor;
  const ctx: RolloutContext<S> = {
    envName: o.envName,
    env,
    config: o.config,
    store: o.store,
    actor: typeof o.actor === 'string' ? o.actor : o.actor.identity,
    by,
    signal: o.signal ?? new AbortController().signal,
    progress: o.progress ?? (() => undefined),
    services: o.services,
    release: o.release,
    async update(patch) {
      ctx.release = await updateRelease(o.store, ctx.release.id, patch);
      return ctx.release;
    },
    async updateState(key, patch) {
      ctx.release = await mergeReleaseState(o.store, ctx.release.id, key, patch);
      return ctx.release;
    },
    async audit(action, result, details) {
      await audit(o.store, { actor: by, env: o.envName, releaseId: ctx.release.id, action, result, ...(details ? { details } : {}) });
    },
  };
  return ctx;
}
