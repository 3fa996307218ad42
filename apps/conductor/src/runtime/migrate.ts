import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Artifact } from '../artifacts/store.js';
import { CcrError } from '../errors.js';

/**
 * Runs the artifact's own migrate CLI (`node api/migrate.mjs up --json`) against the
 * database, so the schema a release gets is exactly the one it was built with.
 */
export function migrateUp(artifact: Artifact, databaseUrl: string): Promise<{ applied: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(artifact.dir, artifact.manifest.entrypoints.migrate), 'up', '--json'], {
      cwd: artifact.dir,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', DATABASE_URL: databaseUrl, MIGRATIONS_DIR: join(artifact.dir, artifact.manifest.migrationsDir) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', (e) => reject(new CcrError('step_failed', 'cannot run the artifact migrate CLI', { cause: e })));
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      let parsed: { applied?: unknown[]; error?: { message?: string } } = {};
      try {
        parsed = JSON.parse(last) as typeof parsed;
      } catch {
        // reported below
      }
      if (code === 0 && Array.isArray(parsed.applied)) resolve({ applied: parsed.applied.length });
      else reject(new CcrError('step_failed', `migrations of ${artifact.version} failed: ${parsed.error?.message ?? (err.trim() || `exit ${code}`)}`));
    });
  });
}
