import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { runSmokeSuite } from '../src/smoke/index.js';
import { KubePlanner } from '../src/targets/kubernetes/plan.js';
import { createTestDatabase, run, type TestDatabase } from './artifacts-fixture.js';
import { startAppLoad } from './support/app-load.js';
import { buildBaseImage, pushImages, stageArtifact, startRegistry, waitFor, type PushedImages, type Registry, type StagedRelease } from './support/image-stage.js';
import { ingressRoutes, startIngress, type IngressStandIn } from './support/ingress-stand-in.js';
import { jobPod, kubePlayPlan, type KubeObject, type KubePlayPlan } from './support/kube-play.js';
import { containerOf, probeOnce, untilReady } from './support/kubelet.js';
import { PodmanNode } from './support/podman-node.js';

// `npm run test:images`: the production overlay's pods really run. The two release images
// are built and pushed as a release builds them (`ccr images push`), pulled by digest onto a
// podman "node" (podman-node.ts: its own network namespace, storage and CNI bridge), and the
// overlay rendered by kubectl's kustomize, with the images set the way `ccr k8s deploy` sets
// them (`kubectl set image`, here --local), is played with `podman kube play`. The only
// conversions are the controllers' own (kube-play.ts: the Rollout as a Deployment with the same
// pod template, the migration Job as its pod); the kubelet's probes and the ingress are
// played by the test (kubelet.ts, ingress-stand-in.ts) because podman 4.3 has neither.
// PostgreSQL (a database of its own) and Redis (a logical database of its own) are the
// host's, relayed to the node. No Kafka broker is reachable from a pod here (see README).

const runRoot = process.env['CC_IMAGES_RUN_ROOT'] ?? tmpdir();
const dir = mkdtempSync(join(runRoot, 'k8s-pods-'));
const root = new URL('../../../', import.meta.url).pathname;
const redisDb = 1 + (randomBytes(1)[0]! % 15);

let node: PodmanNode | undefined;
let registry: Registry | undefined;
let db: TestDatabase | undefined;
let ingress: IngressStandIn | undefined;
let release: StagedRelease;
let images: PushedImages;
let rendered: KubeObject[];
let plan: KubePlayPlan;
let podDatabaseUrl = '';
let teardownDone = false;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deployment = (name: string) => plan.play.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
/** podman 4.3 names a Deployment's pod <name>-pod-0 and its containers <pod>-<container>. */
const podOf = (name: string) => `${name}-pod-0`;
const ctr = (name: string, container: string) => `${podOf(name)}-${container}`;
const yamlOf = (objs: KubeObject[]) => objs.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');

async function renderProduction(): Promise<KubeObject[]> {
  const k = await run('kubectl', ['kustomize', join(root, 'deploy/k8s/overlays/production')]);
  assert.equal(k.code, 0, k.stderr);
  const objects = parseAllDocuments(k.stdout).map((d) => d.toJS() as KubeObject);
  // `ccr k8s deploy` sets both images by digest with `kubectl set image`: the same, offline.
  const setImage = async (name: string, container: string, ref: string) => {
    const i = objects.findIndex((o) => o.kind === 'Deployment' && o.metadata.name === name);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(objects[i]));
    const r = await run('kubectl', ['set', 'image', '--local', '--filename', file, '--output', 'json', `${container}=${ref}`]);
    assert.equal(r.code, 0, r.stderr);
    objects[i] = JSON.parse(r.stdout) as KubeObject;
  };
  await setImage('cc-api', 'api', images.api.ref);
  await setImage('cc-web', 'web', images.web.ref);
  return objects;
}

/** The Secret an operator creates for production (never part of the manifests). */
function productionSecret(): KubeObject {
  const host = node!.hostAddress;
  const dbName = new URL(db!.url).pathname.slice(1);
  // The host's PostgreSQL trusts loopback (the relay), but production refuses a weak password in the URL.
  podDatabaseUrl = `postgres://postgres:${randomBytes(24).toString('base64url')}@${host}:5432/${dbName}`;
  return {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cc-api-secrets' }, type: 'Opaque',
    stringData: { DATABASE_URL: podDatabaseUrl, REDIS_URL: `redis://${host}:6379/${redisDb}`, KAFKA_BROKER: `${host}:9092`, JWT_SECRET: randomBytes(48).toString('base64') },
  };
}

async function inspect(container: string, format: string): Promise<string> {
  return (await node!.podmanOk('inspect', '--format', format, container)).trim();
}

async function exitOf(container: string, withinMs: number): Promise<number> {
  return Number(await waitFor(`${container} to exit`, async () => {
    const [status, code] = (await inspect(container, '{{.State.Status}} {{.State.ExitCode}}')).split(' ');
    return status === 'exited' ? code : undefined;
  }, withinMs, 500));
}

/** A container's output, stdout and stderr together (podman logs keeps them apart). */
async function logsOf(container: string): Promise<string> {
  const r = await node!.podman('logs', container);
  return `${r.stdout}${r.stderr}`;
}

async function schemaRows(): Promise<number> {
  const c = new pg.Client({ connectionString: db!.url });
  await c.connect();
  try { return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations')).rows[0]!.n); } finally { await c.end(); }
}

after(async () => {
  await ingress?.close();
  const problems = teardownDone ? [] : ((await node?.close()) ?? []);
  registry?.stop();
  await db?.drop();
  const keys = await run('redis-cli', ['-n', String(redisDb), '--scan', '--pattern', 'cc:*']);
  const list = keys.stdout.split('\n').filter(Boolean);
  if (list.length) await run('redis-cli', ['-n', String(redisDb), 'del', ...list]);
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(problems, [], 'teardown after a failure left things behind');
});

describe('the production overlay\'s pods on podman', () => {
  before(async () => {
    node = await PodmanNode.create(join(dir, 'node'));
    registry = await startRegistry(dir);
    await buildBaseImage(node.storage);
    release = await stageArtifact(dir);
    images = await pushImages(release, registry, node.storage);
    // By digest, as the Rollout will reference them.
    for (const ref of [images.api.ref, images.web.ref]) {
      const r = await node.podmanOnHost('pull', '--tls-verify=false', '--quiet', ref);
      assert.equal(r.code, 0, r.stderr);
    }
    db = await createTestDatabase();
    await node.relay(5432);
    await node.relay(6379);
    rendered = await renderProduction();
    plan = kubePlayPlan(rendered, [productionSecret()]);
    for (const [name, json] of Object.entries(plan.secrets)) await node.secret(name, json);
  });

  test('the migration Job\'s pod runs read-only as uid 10001 and exits 0; a second run is a no-op', async (t) => {
    const planner = new KubePlanner({ namespace: 'cc-webapp', overlayDir: join(root, 'deploy/k8s/overlays/production'), migrateJobTemplate: join(root, 'deploy/k8s/jobs/migrate-job.yaml') });
    const job = parse(planner.migrationJob(release.version, images.api.ref)) as KubeObject;
    const pod = jobPod(job);
    const container = `${pod.metadata.name}-${pod.spec.containers[0].name}`;
    const yaml = yamlOf([...plan.play.filter((o) => o.kind === 'ConfigMap'), pod]);
    const deadlineMs = (job.spec.activeDeadlineSeconds ?? 900) * 1000;

    await node!.play('migrate', yaml);
    const first = await exitOf(container, deadlineMs);
    const logs1 = await logsOf(container);
    assert.equal(first, 0, `the migration pod failed:\n${logs1.slice(-3000)}`);
    assert.match(logs1, /applied \d+ migration\(s\)/);
    assert.equal(await inspect(container, '{{.Config.User}}'), '10001');
    assert.equal(await inspect(container, '{{.HostConfig.ReadonlyRootfs}}'), 'true');
    const rows = await schemaRows();
    assert.ok(rows > 0);

    // The same release's Job again (a retried deploy): nothing to do, nothing changed.
    await node!.play('migrate', yaml, '--replace');
    assert.equal(await exitOf(container, deadlineMs), 0);
    assert.match(await logsOf(container), /already up to date/);
    assert.equal(await schemaRows(), rows);
    await node!.podmanOk('pod', 'rm', '--force', pod.metadata.name);
    t.diagnostic(`${rows} migrations applied by ${job.metadata.name}, then none`);
  });

  test('the API and web pods start from the played manifests; their startup and readiness probes pass', async (t) => {
    for (const n of plan.notPlayed) t.diagnostic(`not played: ${n.kind}/${n.name} (${n.why})`);
    await node!.play('overlay', yamlOf(plan.play));
    for (const [name, container] of [['cc-api', 'api'], ['cc-web', 'web']] as const) {
      assert.equal(await inspect(ctr(name, container), '{{.State.Status}}'), 'running');
      const r = await untilReady(containerOf(deployment(name), container), node!.nodeAddress);
      t.diagnostic(`${name}/${container}: startup probe passed after ${r.startupAttempts} attempt(s), readiness after ${r.readinessAttempts}: ${r.last}`);
      const live = containerOf(deployment(name), container).livenessProbe!;
      assert.equal((await probeOnce(containerOf(deployment(name), container), live, node!.nodeAddress)).ok, true, `${name} liveness`);
    }
  });

  test('the API answers /health/ready and /version with the release\'s version; the web pod serves the same version', async (t) => {
    const api = `http://${node!.nodeAddress}:3000`;
    const ready = await fetch(`${api}/health/ready`);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
    assert.equal(ready.status, 200);
    assert.deepEqual([body.checks['db']!.status, body.checks['redis']!.status, body.checks['migrations']!.status], ['ok', 'ok', 'ok']);
    // No broker is reachable from a pod here: Kafka is optional by design, events wait in the outbox.
    assert.deepEqual([body.status, body.checks['kafka']!.status], ['degraded', 'down']);
    t.diagnostic(`readiness: ${JSON.stringify(body)}`);
    const version = (await (await fetch(`${api}/version`)).json()) as { version: string; commit: string; schemaVersion: number };
    assert.deepEqual([version.version, version.commit], [release.version, release.commit]);
    assert.ok(version.schemaVersion > 0);
    // Metrics only on the metrics port the manifest declares, never on the routed http port.
    const metricsPort = containerOf(deployment('cc-api'), 'api').ports!.find((p) => p.name === 'metrics')?.containerPort;
    assert.ok(metricsPort, 'the API container declares a metrics port');
    assert.match(await (await fetch(`http://${node!.nodeAddress}:${metricsPort}/metrics`)).text(), /^# HELP /m);
    assert.equal((await fetch(`${api}/metrics`)).status, 404);
    const web = (await (await fetch(`http://${node!.nodeAddress}:8080/version`)).json()) as { version: string };
    assert.equal(web.version, release.version);
  });

  test('every container runs as uid/gid 10001, with no capabilities, no new privileges and a read-only root filesystem', async () => {
    for (const [name, container] of [['cc-api', 'api'], ['cc-web', 'web']] as const) {
      const c = ctr(name, container);
      const s = await node!.processStatus(c);
      assert.deepEqual(s['Uid']!.split(/\s+/), ['10001', '10001', '10001', '10001'], `${c} Uid`);
      assert.deepEqual(s['Gid']!.split(/\s+/), ['10001', '10001', '10001', '10001'], `${c} Gid`);
      assert.equal(s['CapEff'], '0000000000000000', `${c} CapEff`);
      assert.equal(s['NoNewPrivs'], '1', `${c} NoNewPrivs`);
      const pid = await inspect(c, '{{.State.Pid}}');
      const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/')!;
      assert.match(rootMount.split(' ')[5]!, /(^|,)ro(,|$)/, `${c}: / is mounted ${rootMount.split(' ')[5]}`);
      const write = await node!.podman('exec', c, 'node', '-e', "require('fs').writeFileSync('/app/probe', 'x')");
      assert.notEqual(write.code, 0);
      assert.match(write.stderr, /EROFS/);
    }
    // The API's only writable place is its emptyDir.
    await node!.podmanOk('exec', ctr('cc-api', 'api'), 'node', '-e', "require('fs').writeFileSync('/tmp/probe', 'x')");
  });

  test('through the Ingress\'s rules: the page from the web pod, signup, login, a spin and the ledger from the API pod', async (t) => {
    ingress = await startIngress(ingressRoutes(rendered, plan.play), node!.nodeAddress);
    const inviteCode = async () => {
      const out = await node!.podmanOk('exec', ctr('cc-api', 'api'), 'node', 'api/admin.mjs', 'create-invites', '--count', '1', '--smoke', '--json');
      return (JSON.parse(out.trim().split('\n').pop()!) as { codes: string[] }).codes[0]!;
    };
    const report = await runSmokeSuite({ baseUrl: ingress.url, headers: {}, expectVersion: release.version, inviteCode });
    for (const c of report.checks) t.diagnostic(`${c.ok ? 'ok ' : 'FAIL'} ${c.name}${c.error ? `: ${c.error}` : ''}`);
    assert.equal(report.ok, true);
    assert.ok(['frontend', 'login', 'slots-spin'].every((n) => report.checks.find((c) => c.name === n)?.ok));
  });

  test('SIGTERM: both pods drain and exit 0 within their grace period, and no in-flight request fails', async (t) => {
    const drainMs = Number(plan.play.find((o) => o.kind === 'ConfigMap')!.data!['SHUTDOWN_DRAIN_DELAY_MS']);
    assert.ok(drainMs >= 1000, 'the API must keep serving for a while after SIGTERM');
    const load = await startAppLoad(ingress!.url, { artifactDir: release.artifactDir, databaseUrl: db!.url, clients: 4 });
    await waitFor('steady load', async () => (load.stats.total >= 60 ? true : undefined), 60_000, 100);
    const atSigterm = load.stats.total;
    const t0 = Date.now();
    const stops = ([['cc-api', 'api'], ['cc-web', 'web']] as const).map(async ([name, container]) => {
      const grace = deployment(name).spec.template.spec.terminationGracePeriodSeconds ?? 30;
      // What the kubelet does on pod deletion: SIGTERM to the containers, SIGKILL after the grace
      // period, and only then the sandbox (the network) goes. `podman pod stop` would stop the
      // pod's infra container, and with it the network, while the app still drains.
      const r = await node!.podman('stop', '--time', String(grace), ctr(name, container));
      return { name, grace, ms: Date.now() - t0, code: r.code, err: r.stderr };
    });
    // Readiness fails first (the kubelet then takes the pods out of their Services)...
    for (const [name, container] of [['cc-api', 'api'], ['cc-web', 'web']] as const) {
      const c = containerOf(deployment(name), container);
      await waitFor(`${name} readiness to fail while draining`, async () => ((await probeOnce(c, c.readinessProbe!, node!.nodeAddress)).ok ? undefined : true), drainMs, 100);
    }
    // ...and the removal takes a while to reach every proxy: traffic keeps coming for half the
    // drain delay, then stops, as it would once the endpoints are gone everywhere.
    await sleep(Math.max(0, drainMs / 2 - (Date.now() - t0)));
    const stats = await load.stop();
    const stopped = await Promise.all(stops);
    t.diagnostic(`${stats.total} requests, ${stats.total - atSigterm} after SIGTERM, statuses ${JSON.stringify(stats.statuses)}; stops: ${stopped.map((s) => `${s.name} ${s.ms} ms (grace ${s.grace} s)`).join(', ')}`);
    assert.deepEqual(stats.failures, []);
    assert.equal(stats.failed, 0);
    assert.ok(stats.total - atSigterm >= 10, `only ${stats.total - atSigterm} requests overlapped the shutdown`);
    for (const s of stopped) {
      assert.equal(s.code, 0, s.err);
      assert.ok(s.ms < s.grace * 1000, `${s.name} took ${s.ms} ms, over its ${s.grace} s grace period`);
    }
    assert.equal(await inspect(ctr('cc-api', 'api'), '{{.State.ExitCode}}'), '0');
    assert.equal(await inspect(ctr('cc-web', 'web'), '{{.State.ExitCode}}'), '0');
  });

  test('teardown: pods, containers, volumes, secrets, images, network and namespace all gone; podman ps -a is empty', async () => {
    await ingress?.close();
    ingress = undefined;
    const state = node!.state;
    const left = await node!.podman('ps', '--all', '--format', '{{.Names}}');
    assert.equal(left.code, 0);
    const problems = await node!.close();
    teardownDone = true;
    assert.deepEqual(problems, []);
    assert.equal(existsSync(`/run/netns/${state.netns}`), false);
    assert.equal(existsSync(state.dir), false, 'the storage (images included) is removed');
    assert.notEqual((await run('ip', ['link', 'show', state.vethHost])).code, 0);
  });
});
