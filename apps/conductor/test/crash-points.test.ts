import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { AccEnv } from './support/acceptance-env.js';
import { acceptanceRollout } from './support/acceptance-rollout.js';
import { startAppLoad } from './support/app-load.js';

// kill -9 of `ccr deploy` at several points of a release (crash.test.ts covers a canary held at
// 25%): each time, `ccr deploy --resume` or `ccr abort` must leave one version carrying all
// traffic, the other one stopped or kept warm, the release finished and the lock free, and
// clients under load must never see an error. The kill lands just after the named progress
// line, i.e. somewhere inside the next action: the invariant holds wherever that is.

interface Scenario {
  name: string;
  deploy: string[];
  killAfter: RegExp;
  then: 'resume' | 'abort';
  /** The version carrying all traffic once the recovering command is done. */
  expect: string;
}

const SCENARIOS: Scenario[] = [
  { name: 'rolling, one of two instances replaced (traffic split v1/v2), then abort', deploy: ['v2', '--strategy', 'rolling'], killAfter: /rolling: starting instance 2\/2 of v2/, then: 'abort', expect: 'v1' },
  { name: 'blue/green, v2 ready beside v1 but not switched, then resume', deploy: ['v2', '--strategy', 'blue-green'], killAfter: /v2: 2 instance\(s\) ready/, then: 'resume', expect: 'v2' },
  { name: 'blue/green back to v1, api switched but the frontend step not done, then resume', deploy: ['v1', '--strategy', 'blue-green'], killAfter: /deploy-backend: done/, then: 'resume', expect: 'v1' },
  { name: 'rolling, right after the migrate step, then resume', deploy: ['v2', '--strategy', 'rolling'], killAfter: /migrate: done/, then: 'resume', expect: 'v2' },
];

describe('kill -9 at several points of a release', { timeout: 900_000 }, () => {
  let e: AccEnv;
  before(async () => {
    e = await AccEnv.create({ versions: ['v1', 'v2'], rollout: (v) => acceptanceRollout(v) });
    const up = await e.ccr(['up', '--detach', '--no-controller', '--release', 'v1', '--port', '0', '--json']);
    assert.equal(up.code, 0, up.stderr + up.stdout);
  }, { timeout: 900_000 });
  after(async () => {
    await e?.close();
  });

  /** Runs `ccr deploy` and kills it with SIGKILL as soon as it prints a line matching `pattern`. */
  async function deployKilledAfter(args: string[], pattern: RegExp): Promise<string> {
    const child = e.spawn(['deploy', ...args]);
    let err = '';
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    const matched = await new Promise<boolean>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (pattern.test(err)) {
          child.kill('SIGKILL');
          resolve(true);
        }
      });
      child.once('exit', () => resolve(false));
    });
    await gone;
    assert.ok(matched, `the deploy ended before printing ${pattern}:\n${err}`);
    return err;
  }

  for (const s of SCENARIOS) {
    test(s.name, async () => {
      const load = await startAppLoad(e.publicUrl(), { artifactDir: join(e.home, 'artifacts', 'v1'), databaseUrl: e.appDbUrl });
      try {
        await deployKilledAfter(s.deploy, s.killAfter);
        const status = await e.ccr(['status', '--json']);
        const rel = (status.json!['releases'] as { release: { inFlight: boolean; unattended: boolean } }).release;
        assert.deepEqual([rel.inFlight, rel.unattended], [true, true], 'status shows the release in flight with nobody in charge');

        const r = await e.ccr(s.then === 'resume' ? ['deploy', '--resume', '--json'] : ['abort', '--json']);
        assert.equal(r.code, 0, r.stderr + r.stdout);
        assert.equal((r.json!['release'] as { state: string }).state, s.then === 'resume' ? 'promoted' : 'aborted');
        await sleep(300); // requests in flight at the switch finish
        const split = await e.routerState();
        assert.deepEqual([Object.keys(split.api), Object.keys(split.web)], [[s.expect], [s.expect]], `all traffic on ${s.expect}`);
        const after = await e.ccr(['status', '--json']);
        assert.equal((after.json!['releases'] as { release: { inFlight: boolean } }).release.inFlight, false);
        const versions = (after.json!['versions'] as Array<{ version: string; instances?: unknown[] }>).map((v) => v.version);
        assert.ok(versions.includes(s.expect), `${s.expect} runs: ${versions.join(',')}`);
        if (s.then === 'abort') assert.deepEqual(versions, [s.expect], 'abort stopped the new version');
        const lock = await e.ccr(['lock', 'status', '--json']);
        assert.equal(lock.json!['lock'], null, 'the lock is free');
      } finally {
        const stats = await load.stop();
        assert.equal(stats.failed, 0, stats.failures.slice(0, 5).join('\n'));
      }
    });
  }
});
