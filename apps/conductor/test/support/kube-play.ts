// Rendered Kubernetes objects -> what `podman kube play` (Debian's podman 4.3) accepts, for
// the image test that really runs the production overlay's pods (k8s-pods.images.ts).
//
// The rule: objects are played AS RENDERED. The conversions are the ones a cluster's own
// controllers make, and nothing else:
// - the Argo Rollout becomes a Deployment with the same pod template (Argo's controller makes
//   ReplicaSets from it; podman knows no Rollout). With workloadRef the template is the
//   referenced Deployment's; that Deployment (0 replicas: Argo owns the pods) is replaced;
// - a Job becomes its Pod (the Job controller makes exactly that pod; podman 4.3 has no Job);
// - a Secret becomes a podman secret holding its `data` map, the form podman 4.3 reads for
//   secretKeyRef (a Secret document inside the played YAML is stored in a form 4.3 itself
//   cannot read back).
// One scheduling fact of podman 4.3 is applied and said: it publishes every containerPort on
// the node as a hostPort of the same number, so on one node a Deployment runs one pod (as a
// cluster schedules hostPort pods, one per node); replicas is set to 1. The pod template is
// never touched: if podman refuses it, the manifests are wrong and get fixed.

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
}

export class KubePlayError extends Error {}

const PLAYED = new Set(['ConfigMap', 'Deployment']);

/** What podman does not play, and why nothing is lost by that on one node. */
const NOT_PLAYED: Record<string, string> = {
  Namespace: 'podman has no namespaces; names are unique on the node',
  Service: 'no kube-proxy: the test reaches pods on the node address (ingress stand-in)',
  Ingress: 'no ingress controller: the test routes by its rules (ingress stand-in)',
  HorizontalPodAutoscaler: 'no metrics server or autoscaler',
  PodDisruptionBudget: 'no eviction API',
  AnalysisTemplate: 'no Argo controller: analyses are the kubernetes target\'s business',
  ServiceMonitor: 'no Prometheus Operator',
};

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** The Rollout as the Deployment Argo's pods come from: same name, labels, selector and pod template. */
export function rolloutAsDeployment(rollout: KubeObject, objects: readonly KubeObject[]): KubeObject {
  if (rollout.kind !== 'Rollout') throw new KubePlayError(`${rollout.kind} ${rollout.metadata.name} is not a Rollout`);
  let template = rollout.spec?.template;
  const ref = rollout.spec?.workloadRef as { kind?: string; name?: string } | undefined;
  if (ref) {
    const target = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    if (!target) throw new KubePlayError(`Rollout ${rollout.metadata.name}: workloadRef names ${ref.kind} ${ref.name}, which is not among the objects`);
    template = target.spec?.template;
  }
  if (!template) throw new KubePlayError(`Rollout ${rollout.metadata.name} has neither a template nor a workloadRef`);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: rollout.metadata.name, ...(rollout.metadata.labels ? { labels: clone(rollout.metadata.labels) } : {}) },
    spec: { replicas: rollout.spec.replicas ?? 1, selector: clone(rollout.spec.selector), template: clone(template) },
  };
}

/** The pod a Job's controller creates: the template's metadata and spec, under the Job's name. */
export function jobPod(job: KubeObject): KubeObject {
  if (job.kind !== 'Job') throw new KubePlayError(`${job.kind} ${job.metadata.name} is not a Job`);
  const template = job.spec?.template;
  if (!template?.spec) throw new KubePlayError(`Job ${job.metadata.name} has no pod template`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: job.metadata.name, ...(template.metadata?.labels ? { labels: clone(template.metadata.labels) } : {}) },
    spec: clone(template.spec),
  };
}

/** A Secret as podman 4.3 reads it for secretKeyRef: the `data` map (base64 values) as JSON. */
export function podmanSecret(secret: KubeObject): string {
  if (secret.kind !== 'Secret') throw new KubePlayError(`${secret.kind} ${secret.metadata.name} is not a Secret`);
  const data: Record<string, string> = { ...secret.data };
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
  for (const [k, v] of Object.entries(data)) {
    if (Buffer.from(v, 'base64').toString('base64') !== v) throw new KubePlayError(`Secret ${secret.metadata.name}: data.${k} is not base64`);
  }
  return JSON.stringify(data);
}

export interface KubePlayPlan {
  /** Played in one `podman kube play`: ConfigMaps first, then the Deployments. */
  play: KubeObject[];
  /** podman secrets to create before playing: name -> JSON (podmanSecret). */
  secrets: Record<string, string>;
  /** Rendered objects podman does not play, each with the reason. */
  notPlayed: Array<{ kind: string; name: string; why: string }>;
}

/**
 * The plan for one node: the overlay's ConfigMaps and Deployments as rendered, the Rollout
 * as its Deployment, and the Secrets the operator would have created. Unknown kinds are an
 * error, so a new object type gets a decision instead of silently not running.
 */
export function kubePlayPlan(objects: readonly KubeObject[], secrets: readonly KubeObject[] = []): KubePlayPlan {
  const rollouts = objects.filter((o) => o.kind === 'Rollout');
  const replaced = new Set(rollouts.map((r) => r.spec?.workloadRef).filter(Boolean).map((ref: { kind: string; name: string }) => `${ref.kind}/${ref.name}`));
  const play: KubeObject[] = [];
  const notPlayed: KubePlayPlan['notPlayed'] = [];
  for (const o of objects) {
    if (o.kind === 'Secret') throw new KubePlayError(`Secret ${o.metadata.name} is in the rendered manifests; secrets are created by the operator, never shipped`);
    if (o.kind === 'Rollout') continue;
    if (replaced.has(`${o.kind}/${o.metadata.name}`)) {
      notPlayed.push({ kind: o.kind, name: o.metadata.name, why: 'the pod template of a Rollout (workloadRef); played as that Rollout' });
      continue;
    }
    if (PLAYED.has(o.kind)) play.push(clone(o));
    else if (NOT_PLAYED[o.kind]) notPlayed.push({ kind: o.kind, name: o.metadata.name, why: NOT_PLAYED[o.kind]! });
    else throw new KubePlayError(`${o.kind} ${o.metadata.name}: no decision on how to play this kind`);
  }
  for (const r of rollouts) play.push(rolloutAsDeployment(r, objects));
  for (const d of play) if (d.kind === 'Deployment') d.spec.replicas = 1;
  play.sort((a, b) => Number(a.kind !== 'ConfigMap') - Number(b.kind !== 'ConfigMap'));
  return { play, secrets: Object.fromEntries(secrets.map((s) => [s.metadata.name, podmanSecret(s)])), notPlayed };
}
