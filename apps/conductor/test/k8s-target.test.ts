import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { CCR_BIN, run } from './artifacts-fixture.js';
import { scratchDatabase } from './support/scratch-db.js';
import { parseRollout } from '../src/config/index.js';
import { argoDuration, generateArgoResources, renderArgoYaml } from '../src/targets/kubernetes/generate.js';
import { runPlan } from '../src/command/index.js';
import { fakeExecutor } from './support/fake-executor.js';
import { KubernetesTarget } from '../src/targets/kubernetes/kubernetes-target.js';
import { KubePlanner, type KubeCommand } from '../src/targets/kubernetes/plan.js';
import { parseRolloutStatus } from '../src/targets/kubernetes/status.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// The kubernetes target's commands are data: these tests compare the exact argv arrays it
// would run. No Kubernetes API server runs here; the executor is exercised against a stand-in
// kubectl script that records its arguments and stdin.

const root = new URL('../../../', import.meta.url).pathname;
const tmp = tempDir('ccr-k8s-');
after(() => rmSync(tmp, { recursive: true, force: true }));

const API = `registry.example.com/cc/cc-api@sha256:${'a'.repeat(64)}`;
const WEB = `registry.example.com/cc/cc-web@sha256:${'b'.repeat(64)}`;
const OLD_API = `registry.example.com/cc/cc-api@sha256:${'c'.repeat(64)}`;
const OLD_WEB = `registry.example.com/cc/cc-web@sha256:${'d'.repeat(64)}`;

const planner = new KubePlanner({ namespace: 'cc-webapp', context: 'prod-eu', overlayDir: '/repo/deploy/k8s/overlays/production', migrateJobTemplate: join(root, 'deploy/k8s/jobs/migrate-job.yaml') });
const K = ['kubectl', '--context', 'prod-eu', '--namespace', 'cc-webapp'];
const argv = (plan: KubeCommand[]) => plan.map((c) => c.argv);

const CONFIG = `
version: 1
defaultEnvironment: prod
environments:
  prod:
    target: { type: kubernetes, namespace: cc, overlay: deploy/k8s/overlays/production }
    publicUrl: https://app.example.com
    strategy: canary
    canary:
      steps:
        - { weight: 10, pause: 90s }
        - { analysis: default }
        - { pause: 1h }
        - { weight: 60 }
        - analysis:
            interval: 30s
            count: 2
            minRequests: 0
            metrics:
              - { name: errors, provider: prometheus, query: "sum(rate(x[1m]))", successCondition: "result[0] < 0.05" }
        - { weight: 100 }
analysis:
  default:
    interval: 10s
    count: 4
    failureLimit: 1
    minRequests: 50
    metrics:
      - { name: error-rate, provider: builtin, check: error-rate, maxDelta: 0.01 }
      - { name: p99, provider: builtin, check: latency, quantile: 0.99, maxRatio: 2, minAbsoluteMs: 40 }
plan:
  - phase: deployment
    steps:
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Deploy }
`;

describe('kubernetes target: command plans', () => {
  test('apply, deploy, status, promote, abort', () => {
    assert.deepEqual(argv(planner.apply()), [[...K, 'apply', '--kustomize', '/repo/deploy/k8s/overlays/production']]);
    assert.deepEqual(argv(planner.deploy({ api: API, web: WEB })), [
      [...K, 'set', 'image', 'deployment/cc-api', `api=${API}`],
      [...K, 'set', 'image', 'deployment/cc-web', `web=${WEB}`],
      [...K, 'rollout', 'status', 'deployment/cc-web', '--timeout=300s'],
    ]);
    assert.deepEqual(planner.status(), [{ description: 'read rollout cc-api', argv: [...K, 'get', 'rollout.argoproj.io/cc-api', '--output', 'json'], capture: true }]);
    assert.deepEqual(argv(planner.promote()), [[...K, 'patch', 'rollout.argoproj.io/cc-api', '--subresource', 'status', '--type', 'merge', '--patch', '{"status":{"pauseConditions":null}}']]);
    assert.deepEqual(argv(planner.promote({ full: true })), [[...K, 'patch', 'rollout.argoproj.io/cc-api', '--subresource', 'status', '--type', 'merge', '--patch', '{"status":{"promoteFull":true}}']]);
    assert.deepEqual(argv(planner.abort()), [[...K, 'patch', 'rollout.argoproj.io/cc-api', '--subresource', 'status', '--type', 'merge', '--patch', '{"status":{"abort":true}}']]);
  });

  test('rollback aborts, then redeploys the previous release by digest', () => {
    assert.deepEqual(argv(planner.rollback({ api: OLD_API, web: OLD_WEB })), [
      [...K, 'patch', 'rollout.argoproj.io/cc-api', '--subresource', 'status', '--type', 'merge', '--patch', '{"status":{"abort":true}}'],
      [...K, 'set', 'image', 'deployment/cc-api', `api=${OLD_API}`],
      [...K, 'set', 'image', 'deployment/cc-web', `web=${OLD_WEB}`],
      [...K, 'rollout', 'status', 'deployment/cc-web', '--timeout=300s'],
    ]);
  });

  test('images must be pinned by digest: a tag is refused', () => {
    assert.throws(() => planner.deploy({ api: 'registry.example.com/cc/cc-api:v1.2.0', web: WEB }), /not pinned by digest/);
    assert.throws(() => planner.migrate('v1', 'registry.example.com/cc/cc-api:stable'), /not pinned by digest/);
  });

  test('migrations run as a per-release Job with the pinned API image, then wait and read its log', () => {
    const plan = planner.migrate('v1.4.0+build.7', API);
    assert.deepEqual(argv(plan), [
      [...K, 'apply', '--filename', '-'],
      [...K, 'wait', '--for=condition=complete', '--timeout=900s', 'job/cc-migrate-v1-4-0-build-7'],
      [...K, 'logs', 'job/cc-migrate-v1-4-0-build-7', '--tail=200'],
    ]);
    const job = parse(plan[0]!.stdin!) as { kind: string; metadata: { name: string; labels: Record<string, string> }; spec: { template: { spec: { containers: Array<{ image: string; command: string[] }> } } } };
    assert.equal(job.kind, 'Job');
    assert.equal(job.metadata.name, 'cc-migrate-v1-4-0-build-7');
    assert.equal(job.metadata.labels['cc-webapp/version'], 'v1-4-0-build-7');
    assert.deepEqual(job.spec.template.spec.containers.map((c) => [c.image, c.command]), [[API, ['node', 'api/migrate.mjs', 'up']]]);
  });

  test('without a context the flag is left out', () => {
    const p = new KubePlanner({ namespace: 'ns', overlayDir: '/o', migrateJobTemplate: '/none', kubectl: '/usr/local/bin/kubectl' });
    assert.deepEqual(argv(p.apply()), [['/usr/local/bin/kubectl', '--namespace', 'ns', 'apply', '--kustomize', '/o']]);
  });

  test('the target runs its plans through one executor, in order, and parses the status', async () => {
    const seen: KubeCommand[] = [];
    const rolloutJson = JSON.stringify({ spec: { strategy: { canary: { steps: [{}, {}, {}] } } }, status: { phase: 'Paused', currentStepIndex: 1, stableRS: '6d4f', currentPodHash: '7a9c', canary: { weights: { canary: { weight: 10 } } }, pauseConditions: [{ reason: 'CanaryPauseStep' }] } });
    const executor = fakeExecutor((command) => { seen.push(command as KubeCommand); return { stdout: (command as KubeCommand).capture ? rolloutJson : '' }; });
    const { config } = { config: parseRollout(CONFIG, 'test.yaml', {}) };
    const target = KubernetesTarget.fromConfig(config, 'prod', '/repo', executor);
    await target.apply();
    await target.deploy({ api: API, web: WEB });
    const status = await target.status();
    await target.promote();
    assert.deepEqual(seen.map((c) => c.argv.slice(3, 6)), [
      ['apply', '--kustomize', '/repo/deploy/k8s/overlays/production'],
      ['set', 'image', 'deployment/cc-api'],
      ['set', 'image', 'deployment/cc-web'],
      ['rollout', 'status', 'deployment/cc-web'],
      ['get', 'rollout.argoproj.io/cc-api', '--output'],
      ['patch', 'rollout.argoproj.io/cc-api', '--subresource'],
    ]);
    assert.deepEqual(status, { phase: 'paused', reason: 'paused at step 1/3 (canary 10%): CanaryPauseStep', step: 1, stepCount: 3, canaryWeight: 10, stableHash: '6d4f', canaryHash: '7a9c' });
  });

  test('the local executor feeds stdin, runs in order and stops at the first failure with kubectl\'s message', async () => {
    const log = join(tmp, 'calls.log');
    const fake = join(tmp, 'kubectl');
    writeFileSync(fake, `#!/bin/sh\necho "ARGS $*" >> ${log}\ncat >> ${log}\ncase "$*" in *wait*) echo 'error: timed out waiting for the condition on jobs/cc-migrate-v2' >&2; exit 1;; esac\necho ok\n`);
    chmodSync(fake, 0o755);
    const p = new KubePlanner({ kubectl: fake, namespace: 'ns', overlayDir: '/o', migrateJobTemplate: join(root, 'deploy/k8s/jobs/migrate-job.yaml') });
    await assert.rejects(runPlan(p.migrate('v2', API), { code: 'step_failed' }), (err: Error & { code?: string }) => err.code === 'step_failed' && /wait for job\/cc-migrate-v2: .* exited 1: error: timed out waiting/.test(err.message));
    const calls = readFileSync(log, 'utf8');
    assert.match(calls, /^ARGS --namespace ns apply --filename -\napiVersion: batch\/v1\nkind: Job\n/);
    assert.match(calls, /ARGS --namespace ns wait --for=condition=complete --timeout=900s job\/cc-migrate-v2\n$/);
    assert.doesNotMatch(calls, /logs/);
  });
});

describe('kubernetes target: status', () => {
  test('each Argo phase becomes a phase with a reason', () => {
    const s = (status: object) => parseRolloutStatus(JSON.stringify({ spec: { strategy: { canary: { steps: [{}, {}] } } }, status }));
    assert.deepEqual([s({ phase: 'Healthy', stableRS: 'abc' }).phase, s({ phase: 'Healthy', stableRS: 'abc' }).reason], ['healthy', 'healthy: stable abc serves all traffic']);
    assert.equal(s({ phase: 'Degraded', currentStepIndex: 1, message: 'RolloutAborted: metric "error-rate" assessed Failed' }).reason, 'degraded at step 1/2: RolloutAborted: metric "error-rate" assessed Failed');
    assert.equal(s({ phase: 'Degraded', abort: true, currentStepIndex: 0, message: 'aborted by user' }).phase, 'aborted');
    assert.equal(s({ phase: 'Progressing', currentStepIndex: 0, canary: { weights: { canary: { weight: 5 } } } }).reason, 'progressing at step 0/2 (canary 5%)');
    assert.equal(s({}).phase, 'unknown');
  });
});

describe('the app\'s Secret on Kubernetes: an existing one, or an ExternalSecret', () => {
  const withSecrets = (source: string) => CONFIG
    .replace('target: { type: kubernetes, namespace: cc, overlay: deploy/k8s/overlays/production }', `target: { type: kubernetes, namespace: cc, overlay: deploy/k8s/overlays/production, ${source} }
    secrets: [jwt, db-url]
    gates:
      settings: { JWT_SECRET: "secret:jwt", DATABASE_URL: "secret:db-url", SENTRY_DSN: "https://k@sentry.example.com/1" }`)
    .replace('analysis:\n  default:', `secrets:
  jwt: { provider: command, argv: [vault, kv, get, -field=jwt, secret/cc/prod], remoteRef: { key: secret/cc/prod, property: jwt } }
  db-url: { provider: env, variable: PROD_DATABASE_URL, remoteRef: { key: cc-prod-database-url } }
analysis:
  default:`);

  test('external-secret: one ExternalSecret fills cc-api-secrets, a key per "secret:" setting, by its remoteRef', () => {
    const config = parseRollout(withSecrets('secrets: { source: external-secret, store: { name: vault-backend } }'), 'test.yaml', {});
    const { externalSecret } = generateArgoResources(config, 'prod', { namespace: 'cc' });
    assert.deepEqual(externalSecret, {
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      metadata: { name: 'cc-api-secrets', labels: { 'app.kubernetes.io/part-of': 'cc-webapp', 'app.kubernetes.io/managed-by': 'ccr' } },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: 'vault-backend', kind: 'ClusterSecretStore' },
        target: { name: 'cc-api-secrets', creationPolicy: 'Owner' },
        data: [
          { secretKey: 'DATABASE_URL', remoteRef: { key: 'cc-prod-database-url' } },
          { secretKey: 'JWT_SECRET', remoteRef: { key: 'secret/cc/prod', property: 'jwt' } },
        ],
      },
    });
    const docs = renderArgoYaml(config, 'prod', { namespace: 'cc' }).split(/^---$/m).slice(1).map((d) => parse(d) as { kind: string });
    assert.deepEqual(docs.map((d) => d.kind), ['Rollout', 'AnalysisTemplate', 'AnalysisTemplate', 'ExternalSecret']);
  });

  test('existing (the default): nothing is generated; a secret without remoteRef is refused for an ExternalSecret, by path', () => {
    const existing = parseRollout(withSecrets('secrets: { source: existing }'), 'test.yaml', {});
    assert.equal(generateArgoResources(existing, 'prod', { namespace: 'cc' }).externalSecret, null);
    assert.equal(generateArgoResources(parseRollout(CONFIG, 'test.yaml', {}), 'prod', { namespace: 'cc' }).externalSecret, null);
    assert.throws(() => parseRollout(withSecrets('secrets: { source: external-secret, store: { name: vault-backend } }').replace(', remoteRef: { key: cc-prod-database-url }', ''), 'test.yaml', {}),
      /secrets\.db-url\.remoteRef: is needed: environments\.prod fills its Secret through an ExternalSecret, which finds DATABASE_URL by it \[secrets-declared\]/);
    assert.throws(() => parseRollout(withSecrets('secrets: { source: external-secret, store: { name: vault-backend }, refreshInterval: soon }'), 'test.yaml', {}),
      /environments\.prod\.target\.secrets\.refreshInterval: must be like 1h/);
  });
});

describe('Argo resources generated from rollout.yaml', () => {
  const config = parseRollout(CONFIG, 'test.yaml', {});
  const { rollout, analysisTemplates } = generateArgoResources(config, 'prod', { namespace: 'cc' });
  const spec = (rollout as { spec: { strategy: { canary: { steps: unknown[] } } } }).spec;

  test('the canary steps map one to one (weights, pauses, analyses by template)', () => {
    const args = [{ name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } }, { name: 'stable-hash', valueFrom: { podTemplateHashValue: 'Stable' } }];
    assert.deepEqual(spec.strategy.canary.steps, [
      { setWeight: 10 }, { pause: { duration: '90s' } },
      { analysis: { templates: [{ templateName: 'cc-api-default' }], args } },
      { pause: { duration: '1h' } },
      { setWeight: 60 },
      { analysis: { templates: [{ templateName: 'cc-api-step-4' }], args } },
      { setWeight: 100 },
    ]);
    assert.deepEqual(analysisTemplates.map((t) => (t as { metadata: { name: string } }).metadata.name), ['cc-api-default', 'cc-api-step-4']);
  });

  test('builtin checks become PromQL on the pod-template hash; minRequests is inconclusive below the threshold', () => {
    const metrics = (analysisTemplates[0] as { spec: { metrics: Array<Record<string, any>> } }).spec.metrics; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(metrics.map((m) => [m['name'], m['interval'], m['count'], m['failureLimit'], m['successCondition'], m['failureCondition']]), [
      ['canary-traffic', '10s', 4, 1, 'result[0] >= 50', 'result[0] < 0'],
      ['error-rate', '10s', 4, 1, 'result[0] <= 0.01', undefined],
      ['p99', '10s', 4, 1, 'result[0] <= 2', undefined],
    ]);
    const q = (i: number) => metrics[i]!['provider'].prometheus.query as string;
    assert.equal(q(0), 'sum(increase(cc_api_http_requests_total{namespace="cc",rollouts_pod_template_hash="{{args.canary-hash}}"}[10s])) or vector(0)');
    assert.match(q(1), /^\(\(sum\(rate\(cc_api_http_requests_total\{namespace="cc",rollouts_pod_template_hash="\{\{args.canary-hash\}\}",status=~"5.."\}\[1m\]\)\) or vector\(0\)\) \/ clamp_min/);
    assert.match(q(1), /\) - \(.*stable-hash/);
    assert.match(q(2), /^clamp_min\(histogram_quantile\(0.99, .*canary-hash.*\), 0.04\) \/ clamp_min\(histogram_quantile\(0.99, .*stable-hash.*\), 0.04\)$/);
    const inline = (analysisTemplates[1] as { spec: { metrics: Array<Record<string, any>> } }).spec.metrics; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(inline.map((m) => [m['name'], m['successCondition'], m['provider'].prometheus.query]), [['errors', 'result[0] < 0.05', 'sum(rate(x[1m]))']]);
  });

  test('durations and refusals', () => {
    assert.deepEqual([argoDuration(90_000), argoDuration(300_000), argoDuration(7_200_000), argoDuration(1500), argoDuration(0)], ['90s', '5m', '2h', '2s', '1s']);
    const blue = parseRollout(CONFIG.replace('strategy: canary', 'strategy: blue-green'), 'test.yaml', {});
    assert.throws(() => generateArgoResources(blue, 'prod', { namespace: 'cc' }), /generated for canary environments/);
    assert.throws(() => generateArgoResources(config, 'nope', { namespace: 'cc' }), /no environment nope/);
  });
});

describe('ccr k8s (CLI)', () => {
  test('deploy --dry-run prints the exact plan for the production overlay; without images it refuses', async () => {
    const env = { ...process.env, CCR_HOME: join(tmp, 'home') };
    const r = await run(process.execPath, [CCR_BIN, 'k8s', 'deploy', 'v1.4.0', '--env', 'production', '--dry-run', '--json', '--api-image', API, '--web-image', WEB], { env });
    assert.equal(r.code, 0, r.stderr);
    const { plan } = JSON.parse(r.stdout) as { plan: KubeCommand[] };
    const P = ['kubectl', '--namespace', 'cc-webapp'];
    assert.deepEqual(plan.map((c) => c.argv), [
      [...P, 'apply', '--kustomize', join(root, 'deploy/k8s/overlays/production')],
      [...P, 'apply', '--filename', '-'],
      [...P, 'wait', '--for=condition=complete', '--timeout=900s', 'job/cc-migrate-v1-4-0'],
      [...P, 'logs', 'job/cc-migrate-v1-4-0', '--tail=200'],
      [...P, 'set', 'image', 'deployment/cc-api', `api=${API}`],
      [...P, 'set', 'image', 'deployment/cc-web', `web=${WEB}`],
      [...P, 'rollout', 'status', 'deployment/cc-web', '--timeout=300s'],
    ]);
    const refused = await run(process.execPath, [CCR_BIN, 'k8s', 'deploy', 'v1.4.0', '--env', 'production', '--dry-run', '--json'], { env });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /no artifact manifest|has no pushed images/);
  });

  test('ccr deploy on a kubernetes environment fails fast (exit 2, no release recorded) and points to ccr k8s deploy', async () => {
    const db = await scratchDatabase('ccr_k8s');
    try {
      const env = { ...process.env, CCR_HOME: join(tmp, 'home'), CCR_DATABASE_URL: db.url };
      const r = await run(process.execPath, [CCR_BIN, 'deploy', 'v1.4.0', '--env', 'production', '--yes', '--json'], { env });
      assert.equal(r.code, 2, r.stderr);
      const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
      assert.equal(err.code, 'usage');
      assert.match(err.message, /kubernetes target: Argo Rollouts runs its canary in the cluster\. Use `ccr k8s deploy <version> --env <name>`/);
      const history = await run(process.execPath, [CCR_BIN, 'history', '--env', 'production', '--json'], { env });
      assert.deepEqual((JSON.parse(history.stdout) as { releases: unknown[] }).releases, []);
    } finally {
      await db.drop();
    }
  });

  test('render --check agrees with the committed overlays', async () => {
    for (const e of ['staging', 'production']) {
      const r = await run(process.execPath, [CCR_BIN, 'k8s', 'render', '--env', e, '--check', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { upToDate: boolean }).upToDate, true);
    }
  });
});
