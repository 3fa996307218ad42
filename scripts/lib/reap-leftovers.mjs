// After a test run: stop local environments that a test started with `ccr up --detach` and
// never took down. A test file killed by the runner's timeout skips its after() hooks, and the
// runtime daemons it started are detached by design (they outlive ccr), so without this they
// would hold ports, memory and PostgreSQL connections on the CI machine for good.
// The runner marks its process tree with CC_TEST_RUN; daemons inherit it, and `ccr down` with a
// daemon's own environment stops everything it started (router, instances, embedded PostgreSQL).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function environOf(pid) {
  try {
    const env = {};
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return env;
  } catch {
    return null; // gone, or not ours to read
  }
}

/** Runs `ccr down` for every CCR_HOME still served by a process of this run; returns those homes. */
export function reapLeftovers(runId, root, log = (line) => console.error(line)) {
  const homes = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const env = environOf(entry);
    if (env?.['CC_TEST_RUN'] !== runId || !env['CCR_HOME']) continue;
    homes.set(env['CCR_HOME'], env);
  }
  for (const [home, env] of homes) {
    const r = spawnSync(process.execPath, [join(root, 'apps/conductor/bin/ccr.mjs'), 'down'], { env, cwd: root, encoding: 'utf8', timeout: 120_000 });
    log(`reaped a runtime a test left running (CCR_HOME ${home}): ccr down exited ${r.status ?? r.signal}`);
  }
  return [...homes.keys()];
}

/**
 * Removes test-bed fleets (scripts/hosts) whose creating process is gone — a test file killed
 * by the runner's timeout never runs its teardown — through `cli.ts reap`. Fleets of running
 * processes (another run's) and fleets made by `cli.ts up` are left alone. Returns the ids.
 */
export function reapFleets(root, log = (line) => console.error(line)) {
  const base = process.env['CCFLEET_DIR'] ?? '/run/ccfleet';
  let dirs = [];
  try {
    dirs = readdirSync(base).filter((n) => n.startsWith('ccf-'));
  } catch {
    // no fleet was ever made here
  }
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  if (dirs.length === 0 && !/^ccf-/m.test(ns)) return [];
  const cli = join(root, 'scripts/hosts/cli.ts');
  if (!existsSync(cli)) return [];
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'reap', '--json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  for (const line of (r.stderr ?? '').split('\n').filter(Boolean)) log(line);
  try {
    return JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '[]');
  } catch {
    return [];
  }
}
