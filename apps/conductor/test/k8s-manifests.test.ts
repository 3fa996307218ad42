import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { AnalysisTemplate, Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseAllDocuments } from 'yaml';
import { loadRollout } from '../src/config/index.js';
import { renderArgoYaml } from '../src/targets/kubernetes/generate.js';
import { GENERATED_FILE, overlayFor } from '../src/targets/kubernetes/overlay.js';
import { tempDir } from '../../../scripts/lib/temp-dir.js';

// deploy/k8s is checked the way a cluster would first see it, without one: kubectl's own
// kustomize builds each overlay, every object is validated against the Kubernetes OpenAPI
// schemas (and the Argo Rollouts and Prometheus Operator CRD schemas) shipped as data by the
// kubernetes-models packages, and the cross-references a server would only find at run time
// (selectors, Services, template names, Secret references) are checked here.

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const k8s = join(root, 'deploy/k8s');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> }; // eslint-disable-line @typescript-eslint/no-explicit-any

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace, 'v1/ConfigMap': ConfigMap, 'v1/Service': Service,
  'apps/v1/Deployment': Deployment, 'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job, 'networking.k8s.io/v1/Ingress': Ingress, 'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'argoproj.io/v1alpha1/Rollout': Rollout, 'argoproj.io/v1alpha1/AnalysisTemplate': AnalysisTemplate,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** Schema errors of one object, '' when valid. An unknown kind is an error too. */
function schemaErrors(o: Obj): string {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) return `${o.kind} ${o.metadata?.name}: no schema for ${o.apiVersion}/${o.kind}`;
  try { new Model(o as never).validate(); return ''; } catch (err) { return `${o.kind} ${o.metadata.name}: ${(err as Error).message}`; }
}

async function kustomize(dir: string): Promise<Obj[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 << 20 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
}

const SECRET_ENV = /(PASSWORD|SECRET|TOKEN|DATABASE_URL|REDIS_URL|DSN|KEY)$/;

/** What a server would only find at run time: dangling references, missing probes, secret values. */
function crossCheck(objs: Obj[], opts: { rollout: boolean }): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objs.filter((o) => o.kind === kind);
  const names = (kind: string) => new Set(byKind(kind).map((o) => o.metadata.name));
  const services = names('Service');
  if (byKind('Secret').length) problems.push('a Secret object is in the manifests; reference secrets, never ship them');
  for (const d of [...byKind('Deployment'), ...byKind('Job')]) {
    const pod = d.spec.template.spec;
    if (!pod.securityContext?.runAsNonRoot) problems.push(`${d.kind} ${d.metadata.name}: runAsNonRoot not set`);
    for (const c of pod.containers) {
      const at = `${d.kind} ${d.metadata.name} container ${c.name}`;
      if (d.kind === 'Deployment' && (!c.readinessProbe || !c.livenessProbe)) problems.push(`${at}: needs readiness and liveness probes`);
      if (d.kind === 'Deployment' && c.readinessProbe?.httpGet?.path !== '/health/ready') problems.push(`${at}: readiness must use /health/ready`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) problems.push(`${at}: needs cpu/memory requests and a memory limit`);
      if (!c.securityContext?.readOnlyRootFilesystem) problems.push(`${at}: root filesystem not read-only`);
      for (const e of c.env ?? []) {
        if (SECRET_ENV.test(e.name) && e.value !== undefined) problems.push(`${at}: ${e.name} has an inline value; use secretKeyRef`);
      }
    }
  }
  for (const cm of byKind('ConfigMap')) for (const key of Object.keys(cm.data ?? {})) if (SECRET_ENV.test(key)) problems.push(`ConfigMap ${cm.metadata.name}: ${key} belongs in a Secret`);
  const podLabels = [...byKind('Deployment')].map((d) => d.spec.template.metadata.labels as Record<string, string>);
  const selects = (sel: Record<string, string>) => podLabels.some((l) => Object.entries(sel).every(([k, v]) => l[k] === v));
  for (const s of byKind('Service')) if (!selects(s.spec.selector)) problems.push(`Service ${s.metadata.name}: selector matches no pod template`);
  for (const p of byKind('PodDisruptionBudget')) if (!selects(p.spec.selector.matchLabels)) problems.push(`PodDisruptionBudget ${p.metadata.name}: selector matches no pod template`);
  for (const ing of byKind('Ingress')) {
    for (const rule of ing.spec.rules) for (const path of rule.http.paths) {
      if (!services.has(path.backend.service.name)) problems.push(`Ingress ${ing.metadata.name}: backend ${path.backend.service.name} is not a Service`);
    }
  }
  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const ref = hpa.spec.scaleTargetRef;
    if (!names(ref.kind).has(ref.name)) problems.push(`HorizontalPodAutoscaler ${hpa.metadata.name}: scales ${ref.kind} ${ref.name}, which is not in the manifests`);
  }
  const rollouts = byKind('Rollout');
  if (opts.rollout && rollouts.length !== 1) problems.push(`expected one Rollout, found ${rollouts.length}`);
  for (const r of rollouts) {
    const c = r.spec.strategy.canary;
    for (const svc of [c.stableService, c.canaryService]) if (!services.has(svc)) problems.push(`Rollout ${r.metadata.name}: Service ${svc} missing`);
    if (!names('Ingress').has(c.trafficRouting.nginx.stableIngress)) problems.push(`Rollout ${r.metadata.name}: stableIngress missing`);
    if (!names('Deployment').has(r.spec.workloadRef.name)) problems.push(`Rollout ${r.metadata.name}: workloadRef missing`);
    const templates = names('AnalysisTemplate');
    for (const step of c.steps) for (const t of step.analysis?.templates ?? []) if (!templates.has(t.templateName)) problems.push(`Rollout ${r.metadata.name}: AnalysisTemplate ${t.templateName} missing`);
    const hpa = byKind('HorizontalPodAutoscaler').find((h) => h.metadata.name === r.metadata.name);
    if (hpa?.spec.scaleTargetRef.kind !== 'Rollout') problems.push(`HorizontalPodAutoscaler ${r.metadata.name}: must scale the Rollout that owns the pods`);
  }
  return problems;
}

describe('deploy/k8s manifests', () => {
  test('the base builds with kubectl kustomize and every object passes its schema and the cross-checks', async () => {
    const objs = await kustomize(join(k8s, 'base'));
    assert.deepEqual(objs.map(schemaErrors).filter(Boolean), []);
    assert.deepEqual(crossCheck(objs, { rollout: false }), []);
    assert.deepEqual([...new Set(objs.map((o) => o.kind))].sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);
  });

  for (const env of ['staging', 'production']) {
    test(`overlay ${env}: builds, validates, namespaced, the Rollout owns the API`, async () => {
      const objs = await kustomize(join(k8s, 'overlays', env));
      assert.deepEqual(objs.map(schemaErrors).filter(Boolean), []);
      assert.deepEqual(crossCheck(objs, { rollout: true }), []);
      const ns = objs.find((o) => o.kind === 'Namespace')!.metadata.name;
      assert.deepEqual(objs.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== ns).map((o) => o.kind), []);
      assert.equal(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'cc-api')!.spec.replicas, 0);
      assert.equal(objs.find((o) => o.kind === 'ConfigMap')!.data!['APP_ENV'], env);
    });

    test(`overlay ${env}: the generated Argo resources match rollout.yaml`, () => {
      const { config } = loadRollout(join(root, 'rollout.yaml'), {});
      const overlay = overlayFor(config, env, root);
      assert.equal(readFileSync(join(overlay.overlayDir, GENERATED_FILE), 'utf8'), renderArgoYaml(config, env, { namespace: overlay.namespace }), `run: ccr k8s render --env ${env} --write`);
    });
  }

  test('the migration Job template passes its schema and the cross-checks', () => {
    const job = parseAllDocuments(readFileSync(join(k8s, 'jobs/migrate-job.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
    assert.deepEqual(job.map(schemaErrors).filter(Boolean), []);
    assert.deepEqual(crossCheck(job, { rollout: false }), []);
    assert.equal(job[0]!.spec.backoffLimit, 0);
  });

  test('the checks catch broken objects (schema and references)', async () => {
    const objs = await kustomize(join(k8s, 'overlays', 'production'));
    const copy = () => structuredClone(objs);
    const deployment = (o: Obj[]) => o.find((x) => x.kind === 'Deployment' && x.metadata.name === 'cc-api')!;
    let o = copy();
    deployment(o).spec.template.spec.containers[0].ports[0].containerPort = 'http';
    assert.match(o.map(schemaErrors).filter(Boolean).join('\n'), /Deployment cc-api: .*containerPort must be integer/);
    o = copy();
    o.find((x) => x.kind === 'Rollout')!.spec.strategy.canary.steps.push({ setWeight: 'half' });
    assert.match(o.map(schemaErrors).filter(Boolean).join('\n'), /Rollout cc-api: .*setWeight/);
    o = copy();
    deployment(o).spec.template.spec.containers[0].env.push({ name: 'JWT_SECRET', value: 'x' });
    assert.deepEqual(crossCheck(o, { rollout: true }), ['Deployment cc-api container api: JWT_SECRET has an inline value; use secretKeyRef']);
    o = copy();
    o.find((x) => x.kind === 'Rollout')!.spec.strategy.canary.canaryService = 'cc-api-preview';
    assert.deepEqual(crossCheck(o, { rollout: true }), ['Rollout cc-api: Service cc-api-preview missing']);
    o = copy();
    o.find((x) => x.kind === 'HorizontalPodAutoscaler' && x.metadata.name === 'cc-api')!.spec.scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cc-api' };
    assert.deepEqual(crossCheck(o, { rollout: true }), ['HorizontalPodAutoscaler cc-api: must scale the Rollout that owns the pods']);
    o = copy();
    o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cc-api-secrets' } });
    assert.deepEqual(crossCheck(o, { rollout: true }), ['a Secret object is in the manifests; reference secrets, never ship them']);
    assert.equal(schemaErrors({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), 'Pod p: no schema for v1/Pod');
  });
});

describe('generated analysis queries', () => {
  const tmp = tempDir('ccr-k8s-promql-');
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test("every AnalysisTemplate query parses with Prometheus's own parser (promtool)", async () => {
    const objs = await kustomize(join(k8s, 'overlays', 'production'));
    const queries = objs.filter((o) => o.kind === 'AnalysisTemplate').flatMap((t) => (t.spec.metrics as Array<{ name: string; provider: { prometheus: { query: string } } }>).map((m) => ({ name: `${t.metadata.name}/${m.name}`, query: m.provider.prometheus.query })));
    assert.ok(queries.length >= 3);
    // Argo fills the args in before querying; a pod-template hash is a short hex-ish string.
    const rules = queries.map((q, i) => ({ record: `check:q_${i}`, expr: q.query.replaceAll('{{args.canary-hash}}', '7c9d5b6f4').replaceAll('{{args.stable-hash}}', '5f8c7d9b1'), labels: { source: q.name } }));
    assert.deepEqual(rules.filter((r) => r.expr.includes('{{')).map((r) => r.labels.source), []);
    const file = join(tmp, 'queries.yml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'analysis', rules }] }));
    const promtool = () => run('promtool', ['check', 'rules', file]).then(() => 'passed', (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`);
    assert.equal(await promtool(), 'passed');
    // The same check rejects a query Prometheus cannot parse.
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'analysis', rules: [{ record: 'check:broken', expr: 'sum(rate(x[1m])' }] }] }));
    assert.match(await promtool(), /parse error|unclosed/i);
  });
});
