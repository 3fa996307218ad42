import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { runSmokeSuite } from '../src/smoke/index.js';
import { createTestDatabase, run, type TestDatabase } from './artifacts-fixture.js';
import { startAppLoad } from './support/app-load.js';
import { buildBaseImage, pushImages, stageArtifact, startRegistry, waitFor, type Registry, type StagedRelease } from './support/image-stage.js';
import { PodmanNode } from './support/podman-node.js';

// `npm run test:images`: deploy/compose/compose.yaml with `podman-compose` (Debian's 1.0.3),
// as far as its images can be had here. migrate, api and web run from the release's images
// (built and pushed by `ccr images push`, pulled onto a podman node: podman-node.ts), with
// their definitions from compose.yaml unchanged. Every other service's image needs a public
// registry; the test says which, and says what stands in for the ones the API needs:
// postgres -> the host's PostgreSQL (a database of its own, in api.env's DATABASE_URL),
// redis -> the host's Redis (the name `redis` resolves to the host: extra_hosts),
// kafka -> nothing (the name resolves to the host, where no broker listens).

const runRoot = process.env['CC_IMAGES_RUN_ROOT'] ?? tmpdir();
const dir = mkdtempSync(join(runRoot, 'compose-pods-'));
const root = new URL('../../../', import.meta.url).pathname;
const BUILDABLE = new Set(['migrate', 'api', 'web']);
const project = `cc${randomBytes(3).toString('hex')}`;
const prefix = `cc_t_${randomBytes(4).toString('hex')}:`;

interface Service { image?: string; depends_on?: Record<string, unknown>; extra_hosts?: string[]; [k: string]: unknown }
interface Compose { services: Record<string, Service>; [k: string]: unknown }

let node: PodmanNode | undefined;
let registry: Registry | undefined;
let db: TestDatabase | undefined;
let release: StagedRelease;
let compose: string[] = [];
let teardownDone = false;
const addr: Record<string, string> = {};

const ctr = (service: string) => `${project}_${service}_1`;

async function podmanCompose(...args: string[]) {
  // The variables compose.yaml's header documents: the registry and the release.
  return run('podman-compose', [...compose, ...args], { cwd: join(dir, 'project'), env: { ...process.env, CC_REGISTRY: `${registry!.host}/cc`, CC_VERSION: release.version } });
}

async function inspect(container: string, format: string): Promise<string> {
  return (await node!.podmanOk('inspect', '--format', format, container)).trim();
}

after(async () => {
  if (!teardownDone) {
    await podmanCompose('down').catch(() => undefined);
    const problems = (await node?.close()) ?? [];
    if (problems.length) console.error(`compose teardown: ${problems.join('; ')}`);
  }
  registry?.stop();
  await db?.drop();
  const keys = (await run('redis-cli', ['--scan', '--pattern', `${prefix}*`])).stdout.split('\n').filter(Boolean);
  if (keys.length) await run('redis-cli', ['del', ...keys]);
  rmSync(dir, { recursive: true, force: true });
});

describe('the Compose stack\'s buildable services on podman-compose', () => {
  before(async () => {
    node = await PodmanNode.create(join(dir, 'node'));
    registry = await startRegistry(dir);
    await buildBaseImage(node.storage);
    release = await stageArtifact(dir);
    await pushImages(release, registry, node.storage);
    db = await createTestDatabase();
    await node.relay(5432);
    await node.relay(6379);
  });

  test('compose.yaml: the services whose images can be had here, and what cannot run', async (t) => {
    const doc = parse(readFileSync(join(root, 'deploy/compose/compose.yaml'), 'utf8'), { merge: true }) as Compose;
    const registryRef = `${registry!.host}/cc`;
    for (const [name, svc] of Object.entries(doc.services)) {
      if (BUILDABLE.has(name)) continue;
      t.diagnostic(`NOT RUN: ${name} (${svc.image}): the image needs a public registry; none is reachable here, and nothing builds it`);
      delete doc.services[name];
    }
    for (const [name, svc] of Object.entries(doc.services)) {
      const deps = Object.keys(svc.depends_on ?? {});
      for (const d of deps.filter((x) => !BUILDABLE.has(x))) delete svc.depends_on![d];
      if (name === 'api') {
        svc.extra_hosts = [`redis:${node!.hostAddress}`, `kafka:${node!.hostAddress}`];
        t.diagnostic('SUBSTITUTED: api reaches `redis` at the host\'s Redis and `kafka` at the host, where no broker listens (extra_hosts)');
      }
    }
    t.diagnostic('SUBSTITUTED: api.env points DATABASE_URL at the host\'s PostgreSQL (a database of this test) instead of the postgres service');
    assert.deepEqual(Object.keys(doc.services).sort(), ['api', 'migrate', 'web']);
    assert.deepEqual(doc.services['api']!.depends_on, { migrate: { condition: 'service_completed_successfully' } });
    mkdirSync(join(dir, 'project'), { mode: 0o700 });
    // YAML 1.1 quoting: podman-compose reads with PyYAML, for which a bare `no` is false.
    writeFileSync(join(dir, 'project/compose.yaml'), stringify(doc, { version: '1.1' }));
    const dbName = new URL(db!.url).pathname.slice(1);
    writeFileSync(join(dir, 'project/api.env'), [
      `DATABASE_URL=postgres://postgres:${randomBytes(24).toString('base64url')}@${node!.hostAddress}:5432/${dbName}`,
      `JWT_SECRET=${randomBytes(48).toString('base64')}`,
      `REDIS_KEY_PREFIX=${prefix}`,
      '',
    ].join('\n'), { mode: 0o600 });
    // podman-compose runs plain `podman`: this wrapper gives it the node's storage, config and network.
    const wrapper = join(dir, 'podman');
    const flags = [...node!.storage.flags, '--network-config-dir', join(node!.state.dir, 'cni'), '--tmpdir', join(node!.state.dir, 'libpod-tmp')];
    writeFileSync(wrapper, `#!/bin/sh\nexport CONTAINERS_CONF='${join(node!.state.dir, 'containers.conf')}'\nexec nsenter --net=/run/netns/${node!.state.netns} podman ${flags.map((f) => `'${f}'`).join(' ')} "$@"\n`);
    chmodSync(wrapper, 0o700);
    compose = ['--podman-path', wrapper, '-p', project, '-f', 'compose.yaml'];
    for (const tag of [release.version]) {
      for (const image of ['cc-api', 'cc-web']) {
        const r = await node!.podmanOnHost('pull', '--tls-verify=false', '--quiet', `${registryRef}/${image}:${tag}`);
        assert.equal(r.code, 0, r.stderr);
      }
    }
  });

  test('podman-compose up: migrate runs to completion, then api and web run read-only as uid 10001', async (t) => {
    // The project network with a subnet no route on the host uses, so the test can reach it.
    const used = (await run('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
    let subnet = '';
    for (let i = 0; i < 20 && !subnet; i++) { const [a, b] = randomBytes(2); const s = `10.${150 + (a! % 50)}.${b!}.`; if (!used.includes(s)) subnet = `${s}0/24`; }
    await node!.podmanOk('network', 'create', '--disable-dns', '--subnet', subnet, `${project}_default`);
    const up = await podmanCompose('up', '-d');
    t.diagnostic(`podman-compose up exited ${up.code}: ${`${up.stdout}\n${up.stderr}`.split('\n').filter((l) => /error|Error|exit code/.test(l)).slice(0, 10).join(' | ') || 'no errors'}`);
    assert.equal(up.code, 0, up.stderr.slice(-3000));
    assert.ok(!/Error:/.test(up.stdout + up.stderr), `podman-compose up reported errors:\n${(up.stdout + up.stderr).slice(-3000)}`);
    const r = await run('ip', ['route', 'add', subnet, 'via', node!.nodeAddress, 'dev', node!.state.vethHost]);
    assert.equal(r.code, 0, r.stderr);
    const code = await waitFor('migrate to exit', async () => {
      const [status, exit] = (await inspect(ctr('migrate'), '{{.State.Status}} {{.State.ExitCode}}')).split(' ');
      return status === 'exited' ? Number(exit) : undefined;
    }, 120_000, 500);
    const logs = await node!.podman('logs', ctr('migrate'));
    assert.equal(code, 0, `${logs.stdout}${logs.stderr}`.slice(-3000));
    assert.match(`${logs.stdout}${logs.stderr}`, /applied \d+ migration\(s\)|already up to date/);
    for (const s of ['migrate', 'api', 'web']) assert.equal(await inspect(ctr(s), '{{.HostConfig.ReadonlyRootfs}}'), 'true', `${s} read_only`);
    for (const s of ['api', 'web']) {
      addr[s] = await inspect(ctr(s), `{{(index .NetworkSettings.Networks "${project}_default").IPAddress}}`);
      const st = await node!.processStatus(ctr(s));
      assert.deepEqual(st['Uid']!.split(/\s+/), ['10001', '10001', '10001', '10001'], `${s} Uid`);
      assert.equal(st['NoNewPrivs'], '1', `${s}: security_opt no-new-privileges`);
      const write = await node!.podman('exec', ctr(s), 'node', '-e', "require('fs').writeFileSync('/app/probe', 'x')");
      assert.match(write.stderr, /EROFS/, `${s}: root filesystem writable`);
    }
    await node!.podmanOk('exec', ctr('api'), 'node', '-e', "require('fs').writeFileSync('/tmp/probe', 'x')");
  });

  test('healthchecks as compose.yaml writes them pass; /health/ready and /version answer with the release', async (t) => {
    const doc = parse(readFileSync(join(dir, 'project/compose.yaml'), 'utf8')) as Compose;
    for (const s of ['api', 'web']) {
      const check = (doc.services[s]!['healthcheck'] as { test: string[] }).test;
      assert.equal(check[0], 'CMD');
      // Exec form, as compose defines CMD. podman-compose 1.0.3 passes it to podman as
      // `/bin/sh -c node -e ...` (which would run a bare `node`), so podman's own
      // `healthcheck run` is not what the compose file says; run the command itself.
      await waitFor(`${s} healthcheck`, async () => ((await node!.podman('exec', ctr(s), ...check.slice(1))).code === 0 ? true : undefined), 60_000, 1000);
      const viaPodman = await node!.podman('healthcheck', 'run', ctr(s));
      t.diagnostic(`${s}: podman healthcheck run (podman-compose's translation) exited ${viaPodman.code}: ${(viaPodman.stdout + viaPodman.stderr).trim().slice(0, 200)}`);
    }
    const ready = await fetch(`http://${addr['api']}:3000/health/ready`);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
    assert.equal(ready.status, 200);
    assert.deepEqual([body.checks['db']!.status, body.checks['redis']!.status, body.checks['migrations']!.status, body.checks['kafka']!.status], ['ok', 'ok', 'ok', 'down']);
    const version = (await (await fetch(`http://${addr['api']}:3000/version`)).json()) as { version: string; commit: string };
    assert.deepEqual([version.version, version.commit], [release.version, release.commit]);
    const page = await (await fetch(`http://${addr['web']}:8080/`)).text();
    assert.match(page, new RegExp(`<meta name="cc-version" content="${release.version.replace(/[.]/g, '\\.')}"`));
  });

  test('signup, login, a spin and the ledger against the api service', async (t) => {
    const inviteCode = async () => {
      const out = await node!.podmanOk('exec', ctr('api'), 'node', 'api/admin.mjs', 'create-invites', '--count', '1', '--smoke', '--json');
      return (JSON.parse(out.trim().split('\n').pop()!) as { codes: string[] }).codes[0]!;
    };
    const report = await runSmokeSuite({ baseUrl: `http://${addr['api']}:3000`, headers: {}, expectVersion: release.version, inviteCode, checks: ['version', 'login', 'slots-spin', 'ledger'] });
    for (const c of report.checks) t.diagnostic(`${c.ok ? 'ok ' : 'FAIL'} ${c.name}${c.error ? `: ${c.error}` : ''}`);
    assert.equal(report.ok, true);
  });

  test('SIGTERM: api and web exit 0 within the stop timeout, and no in-flight request fails', async (t) => {
    const load = await startAppLoad(`http://${addr['api']}:3000`, { artifactDir: release.artifactDir, databaseUrl: db!.url, clients: 4 });
    await waitFor('steady load', async () => (load.stats.total >= 40 ? true : undefined), 60_000, 100);
    const t0 = Date.now();
    // compose.yaml sets no drain delay and no stop_grace_period (10 s): nothing routes new
    // requests to a stopping container here, so the load stops at SIGTERM; in-flight ones must finish.
    const stop = node!.podman('stop', '--time', '10', ctr('api'), ctr('web'));
    const atSigterm = load.stats.total;
    const stats = await load.stop();
    const r = await stop;
    const ms = Date.now() - t0;
    t.diagnostic(`${stats.total} requests (${stats.total - atSigterm} finished after SIGTERM), statuses ${JSON.stringify(stats.statuses)}; stopped in ${ms} ms`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(stats.failures, []);
    assert.ok(ms < 10_000, `stop took ${ms} ms: SIGKILL after the 10 s timeout`);
    for (const s of ['api', 'web']) assert.equal(await inspect(ctr(s), '{{.State.ExitCode}}'), '0', `${s} exit code`);
  });

  test('podman-compose down and the teardown leave nothing: podman ps -a is empty', async () => {
    const down = await podmanCompose('down');
    assert.equal(down.code, 0, down.stderr);
    const left = await node!.podmanOk('ps', '--all', '--format', '{{.Names}}');
    assert.equal(left.trim(), '');
    const problems = await node!.close();
    teardownDone = true;
    assert.deepEqual(problems, []);
    for (const n of [`${project}_default`, node!.state.network]) assert.equal(existsSync(`/var/lib/cni/networks/${n}`), false, `CNI address records of ${n} left`);
  });
});
