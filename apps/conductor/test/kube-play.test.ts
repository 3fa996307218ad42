import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { KubePlanner } from '../src/targets/kubernetes/plan.js';
import { jobPod, KubePlayError, kubePlayPlan, podmanSecret, rolloutAsDeployment, type KubeObject } from './support/kube-play.js';

// The converter the pod image test (k8s-pods.images.ts) plays the production overlay with.
// Its promise: the pod templates reach podman exactly as rendered; only the Rollout (and the
// migration Job) become what their controllers would create.

const root = new URL('../../../', import.meta.url).pathname;

async function production(): Promise<KubeObject[]> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', join(root, 'deploy/k8s/overlays/production')], { maxBuffer: 16 << 20 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject);
}

const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cc-api-secrets' }, type: 'Opaque', stringData: { JWT_SECRET: 'k'.repeat(64) }, data: { DATABASE_URL: Buffer.from('postgres://u:p@db/cc').toString('base64') } };

describe('kube play plan of the production overlay', () => {
  test('the Rollout is played as a Deployment with the referenced Deployment\'s pod template, unchanged', async () => {
    const objects = await production();
    const rollout = objects.find((o) => o.kind === 'Rollout')!;
    const base = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === rollout.spec.workloadRef.name)!;
    const d = rolloutAsDeployment(rollout, objects);
    assert.equal(d.kind, 'Deployment');
    assert.equal(d.metadata.name, rollout.metadata.name);
    assert.deepEqual(d.spec.template, base.spec.template);
    assert.deepEqual(d.spec.selector, rollout.spec.selector);
    assert.equal(d.spec.replicas, rollout.spec.replicas);
  });

  test('played: the ConfigMap first, then cc-web as rendered and cc-api from the Rollout, one pod each; the rest is listed with a reason', async () => {
    const objects = await production();
    const plan = kubePlayPlan(objects, [secret]);
    assert.deepEqual(plan.play.map((o) => `${o.kind}/${o.metadata.name}`), ['ConfigMap/cc-api-config', 'Deployment/cc-web', 'Deployment/cc-api']);
    const web = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'cc-web')!;
    const playedWeb = plan.play.find((o) => o.metadata.name === 'cc-web')!;
    assert.deepEqual({ ...playedWeb, spec: { ...playedWeb.spec, replicas: web.spec.replicas } }, web, 'cc-web is played as rendered (replicas aside)');
    assert.deepEqual(plan.play.filter((o) => o.kind === 'Deployment').map((o) => o.spec.replicas), [1, 1]);
    assert.deepEqual(plan.play.find((o) => o.kind === 'ConfigMap'), objects.find((o) => o.kind === 'ConfigMap'));
    const skipped = plan.notPlayed.map((n) => `${n.kind}/${n.name}`).sort();
    assert.deepEqual(skipped, [
      'AnalysisTemplate/cc-api-default', 'Deployment/cc-api', 'HorizontalPodAutoscaler/cc-api', 'HorizontalPodAutoscaler/cc-web', 'Ingress/cc-webapp',
      'Namespace/cc-webapp', 'PodDisruptionBudget/cc-api', 'PodDisruptionBudget/cc-web', 'Service/cc-api', 'Service/cc-api-canary', 'Service/cc-web', 'ServiceMonitor/cc-api',
    ]);
    assert.ok(plan.notPlayed.every((n) => n.why.length > 10));
    // The input is not mutated: replicas 1 is the plan's, not the caller's objects'.
    assert.equal(web.spec.replicas, 2);
  });

  test('a Secret becomes the data map podman 4.3 reads, stringData encoded; bad base64 is refused', () => {
    assert.deepEqual(JSON.parse(podmanSecret(secret)), { DATABASE_URL: secret.data!['DATABASE_URL'], JWT_SECRET: Buffer.from('k'.repeat(64)).toString('base64') });
    assert.throws(() => podmanSecret({ ...secret, stringData: {}, data: { X: 'not base64!' } }), /data\.X is not base64/);
  });

  test('refused: a Secret shipped in the manifests, a kind nobody decided on, a dangling workloadRef', async () => {
    const objects = await production();
    assert.throws(() => kubePlayPlan([...objects, secret]), /Secret cc-api-secrets is in the rendered manifests/);
    assert.throws(() => kubePlayPlan([...objects, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' } }]), (e: Error) => e instanceof KubePlayError && /StatefulSet db: no decision/.test(e.message));
    const rollout = objects.find((o) => o.kind === 'Rollout')!;
    assert.throws(() => rolloutAsDeployment(rollout, []), /workloadRef names Deployment cc-api, which is not among the objects/);
  });

  test('the migration Job, rendered the way ccr renders it, becomes its one pod with the template unchanged', () => {
    const planner = new KubePlanner({ namespace: 'cc-webapp', overlayDir: '/unused', migrateJobTemplate: join(root, 'deploy/k8s/jobs/migrate-job.yaml') });
    const job = parse(planner.migrationJob('v1.2.3', `127.0.0.1:5000/cc/cc-api@sha256:${'a'.repeat(64)}`)) as KubeObject;
    const pod = jobPod(job);
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.metadata.name, 'cc-migrate-v1-2-3');
    assert.deepEqual(pod.spec, job.spec.template.spec);
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.throws(() => jobPod(secret), /is not a Job/);
  });
});
