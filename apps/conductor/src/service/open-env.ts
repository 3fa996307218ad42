import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { buildArtifact } from '../artifacts/build.js';
import { readManifest } from '../artifacts/manifest.js';
import { loadArtifact } from '../artifacts/store.js';
import { verifyArtifact } from '../artifacts/verify.js';
import { environment, loadRollout, type EnvironmentConfig, type RolloutConfig } from '../config/index.js';
import { CcrError } from '../errors.js';
import { createNotifier, type Notifier } from '../notify/index.js';
import type { CcPaths } from '../paths.js';
import { SupervisorClient } from '../runtime/control-client.js';
import { migrateUp } from '../runtime/migrate.js';
import { explainStoreFailure } from '../runtime/not-running.js';
import { databaseUrlFile } from '../runtime/runtime-state.js';
import { smokeInviteFromCli } from '../smoke/index.js';
import { openStorePool, storeUrlFor } from '../store/index.js';
import type { ArtifactSource, DeployServices } from '../engine/deploy-context.js';
import { connectTarget } from '../targets/connect.js';
import type { DeployTarget } from '../engine/deploy-target.js';
import { sendSmokeTraffic } from '../analysis/smoke-traffic.js';

// What the release commands share: the configuration, the environment, the store (PostgreSQL
// database `ccr`), and on demand the deploy target and the services a deploy wires into the
// engine. Store URL: CCR_DATABASE_URL, else `ccr` on the environment's PostgreSQL server,
// else `ccr` on the local runtime's database (the URL `ccr up` records).

export interface OpenEnv {
  config: RolloutConfig;
  file: string;
  envName: string;
  env: EnvironmentConfig;
  paths: CcPaths;
  storeUrl: string;
  /** The app's database (migrations, smoke invites); null when none is known. */
  appDatabaseUrl: string | null;
  store: pg.Pool;
  target(): DeployTarget;
  notifier(onFailure?: (msg: string) => void): Notifier;
  services(version: () => string | null, onFailure?: (msg: string) => void): DeployServices;
  close(): Promise<void>;
}

/** The database the local runtime recorded (`ccr up`), if any. */
function localDatabaseUrl(paths: CcPaths): string | null {
  try {
    return readFileSync(databaseUrlFile(paths), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The app's database: environments.<env>.databaseUrl, else the local runtime's. The one place this is decided. */
export function appDatabaseUrl(env: EnvironmentConfig, paths: CcPaths): string | null {
  return env.databaseUrl || localDatabaseUrl(paths);
}

export function storeUrl(env: EnvironmentConfig, paths: CcPaths): string {
  const explicit = process.env['CCR_DATABASE_URL'];
  if (explicit) return explicit;
  const app = appDatabaseUrl(env, paths);
  if (app) return storeUrlFor(app);
  throw new CcrError('store_failed', 'no store: set CCR_DATABASE_URL, give the environment a databaseUrl, or start the local runtime (`npx ccr up`)');
}

export function artifactSource(paths: CcPaths, databaseUrl: () => string): ArtifactSource {
  const manifestOf = (v: string) => join(paths.artifacts, v, 'manifest.json');
  return {
    build: (ref, onProgress) => buildArtifact({ repo: paths.projectRoot, ref, artifactsDir: paths.artifacts, ...(onProgress ? { onProgress } : {}) }),
    async verify(version) {
      const r = await verifyArtifact(paths.artifacts, version);
      return { ok: r.ok, checked: r.checked, problems: [...r.changed.map((f) => `${f} changed`), ...r.missing.map((f) => `${f} missing`), ...r.extra.map((f) => `${f} not in the manifest`)] };
    },
    has: (version) => existsSync(manifestOf(version)),
    hasWeb: (version) => existsSync(manifestOf(version)) && readManifest(join(paths.artifacts, version)).web !== null,
    images(version) {
      const images = existsSync(manifestOf(version)) ? readManifest(join(paths.artifacts, version)).images : undefined;
      return images ? { api: `${images.api.repository}@${images.api.digest}`, web: `${images.web.repository}@${images.web.digest}` } : null;
    },
    migrate: (version, opts) => migrateUp(loadArtifact(paths.artifacts, version), databaseUrl(), opts),
  };
}

/** Opens an environment; `paths` are decided once by the command (cli/open-env.ts passes ccPaths()). */
export async function openEnvAt(envOption: string | undefined, paths: CcPaths): Promise<OpenEnv> {
  const { config, file } = loadRollout();
  const { name, env } = environment(config, envOption);
  const url = storeUrl(env, paths);
  const store = await openStorePool(url).catch((err: unknown) => {
    throw explainStoreFailure(err, url, paths);
  });
  let target: DeployTarget | null = null;
  let waitingTarget: DeployTarget | null = null;
  const app = appDatabaseUrl(env, paths);
  const o: OpenEnv = {
    config, file, envName: name, env, paths, storeUrl: url, appDatabaseUrl: app, store,
    target: () => (target ??= connectTarget(env, paths)),
    notifier: (onFailure) => createNotifier(env, store, onFailure ? { onFailure: (d) => onFailure(`notification via ${d.channel} failed: ${d.error ?? ''}`) } : {}),
    services(version, onFailure) {
      // A release waits for a restarting router or runtime instead of failing its step.
      const t = (waitingTarget ??= connectTarget(env, paths, (line) => process.stderr.write(`ccr: ${line}\n`)));
      const needDb = () => {
        if (!app) throw new CcrError('config_invalid', `environment ${name} has no databaseUrl and no local runtime database is recorded`);
        return app;
      };
      const s: DeployServices = {
        paths,
        databaseUrl: app,
        target: t,
        artifacts: artifactSource(paths, needDb),
        notifier: o.notifier(onFailure),
        instances: env.target.type === 'local' ? env.target.instances : env.target.type === 'haproxy' ? env.target.hosts.length * env.target.instancesPerHost : 1,
        async onPromoted(v) {
          if (env.target.type === 'local') await SupervisorClient.connect(paths).setActiveVersion(v).catch(() => undefined);
        },
        smokeTraffic: (v, n) => sendSmokeTraffic(t.pinned(v), n),
      };
      s.smoke = {
        smokeTarget: (v) => t.pinned(v),
        smokeInvite: () => {
          // The release's own admin CLI makes the invite (its schema is the one being tested).
          const v = version();
          if (!v) return Promise.reject(new CcrError('conflict', 'smoke invite: the release has no version yet'));
          return smokeInviteFromCli({ artifactDir: join(paths.artifacts, v) }, needDb())();
        },
      };
      return s;
    },
    close: () => store.end(),
  };
  return o;
}
