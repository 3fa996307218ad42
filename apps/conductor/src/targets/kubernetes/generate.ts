import { stringify } from 'yaml';
import type { AnalysisConfig, CanaryStep, RolloutConfig } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import { generateExternalSecret } from './external-secret.js';

// rollout.yaml -> Argo Rollouts resources, so Kubernetes runs the same canary steps and the
// same analysis the local target runs. The Rollout takes over the base's cc-api Deployment
// (workloadRef), splits traffic through the nginx ingress (stable Service cc-api, canary
// Service cc-api-canary), and runs one AnalysisTemplate per named analysis.
//
// The built-in provider's checks (the router's per-version counters) become PromQL over the
// API's own metrics, told apart by the rollouts-pod-template-hash label that Argo puts on
// each ReplicaSet's pods (kept by the ServiceMonitor). minRequests becomes a metric that is
// inconclusive (neither success nor failure) below the threshold: Argo then pauses the
// rollout for a person, the nearest it has to "wait"; the local target's smoke-traffic
// action has no Argo equivalent and is not generated.

export const ROLLOUT_NAME = 'cc-api';
const ARGO = 'argoproj.io/v1alpha1';

export interface GenerateOptions {
  /** Kubernetes namespace the API runs in (used in the PromQL selectors). */
  namespace: string;
}

export interface GeneratedResources {
  rollout: Record<string, unknown>;
  analysisTemplates: Array<Record<string, unknown>>;
  /** The ExternalSecret filling cc-api-secrets, when target.secrets.source is external-secret. */
  externalSecret: Record<string, unknown> | null;
}

/** Argo accepts durations as "<n>s|m|h"; whole units are kept readable. */
export function argoDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

export function templateName(analysis: string): string {
  return `cc-api-${analysis}`;
}

const ARGS = [
  { name: 'canary-hash' },
  { name: 'stable-hash' },
];

function selector(namespace: string, hashArg: string, extra = ''): string {
  return `namespace="${namespace}",rollouts_pod_template_hash="{{args.${hashArg}}}"${extra}`;
}

function window(analysis: AnalysisConfig): string {
  // A rate needs at least two scrapes (15s apart) inside the window.
  return argoDuration(Math.max(analysis.interval, 60_000));
}

function metricsFor(analysis: AnalysisConfig, namespace: string): Array<Record<string, unknown>> {
  const w = window(analysis);
  const total = (hash: string) => `sum(rate(cc_api_http_requests_total{${selector(namespace, hash)}}[${w}]))`;
  const errors = (hash: string) => `(sum(rate(cc_api_http_requests_total{${selector(namespace, hash, ',status=~"5.."')}}[${w}])) or vector(0))`;
  const errorRate = (hash: string) => `${errors(hash)} / clamp_min(${total(hash)}, 1e-9)`;
  const common = { interval: argoDuration(analysis.interval), count: analysis.count, failureLimit: analysis.failureLimit };
  const prometheus = (query: string) => ({ prometheus: { address: '{{args.prometheus-address}}', query } });
  const metrics: Array<Record<string, unknown>> = [];
  if (analysis.minRequests > 0) {
    metrics.push({
      name: 'canary-traffic',
      ...common,
      // Below minRequests the measurement is inconclusive, not a pass and not a failure.
      inconclusiveLimit: analysis.count,
      successCondition: `result[0] >= ${analysis.minRequests}`,
      failureCondition: 'result[0] < 0',
      provider: prometheus(`sum(increase(cc_api_http_requests_total{${selector(namespace, 'canary-hash')}}[${argoDuration(analysis.interval)}])) or vector(0)`),
    });
  }
  for (const m of analysis.metrics) {
    if (m.provider === 'prometheus') {
      metrics.push({
        name: m.name,
        ...common,
        ...(m.successCondition ? { successCondition: m.successCondition } : {}),
        ...(m.failureCondition ? { failureCondition: m.failureCondition } : {}),
        provider: prometheus(m.query),
      });
    } else if (m.check === 'error-rate') {
      metrics.push({
        name: m.name,
        ...common,
        successCondition: `result[0] <= ${m.maxDelta ?? 0}`,
        provider: prometheus(`(${errorRate('canary-hash')}) - (${errorRate('stable-hash')})`),
      });
    } else {
      const q = m.quantile ?? 0.95;
      const floor = m.minAbsoluteMs / 1000;
      const quantile = (hash: string) => `clamp_min(histogram_quantile(${q}, sum by (le) (rate(cc_api_http_request_duration_seconds_bucket{${selector(namespace, hash)}}[${w}]))), ${floor})`;
      // Both sides are floored at minAbsoluteMs: under it latency always passes, as locally.
      metrics.push({
        name: m.name,
        ...common,
        successCondition: `result[0] <= ${m.maxRatio ?? 1.5}`,
        provider: prometheus(`${quantile('canary-hash')} / ${quantile('stable-hash')}`),
      });
    }
  }
  return metrics;
}

function analysisTemplate(name: string, analysis: AnalysisConfig, opts: GenerateOptions): Record<string, unknown> {
  return {
    apiVersion: ARGO,
    kind: 'AnalysisTemplate',
    metadata: { name: templateName(name), labels: { 'app.kubernetes.io/part-of': 'cc-webapp', 'app.kubernetes.io/managed-by': 'ccr' } },
    spec: {
      args: [...ARGS, { name: 'prometheus-address', value: 'http://prometheus-operated.monitoring.svc:9090' }],
      metrics: metricsFor(analysis, opts.namespace),
    },
  };
}

function argoStep(step: CanaryStep, templates: Map<string, AnalysisConfig>, config: RolloutConfig, index: number): Array<Record<string, unknown>> {
  if ('analysis' in step) {
    let name: string;
    if (typeof step.analysis === 'string') {
      const found = config.analysis[step.analysis];
      if (!found) throw new CcrError('config_invalid', `canary.steps[${index}].analysis: no analysis named ${step.analysis}`);
      name = step.analysis;
      templates.set(name, found);
    } else {
      name = `step-${index}`;
      templates.set(name, step.analysis);
    }
    return [{
      analysis: {
        templates: [{ templateName: templateName(name) }],
        args: [
          { name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } },
          { name: 'stable-hash', valueFrom: { podTemplateHashValue: 'Stable' } },
        ],
      },
    }];
  }
  const out: Array<Record<string, unknown>> = [];
  if ('weight' in step) out.push({ setWeight: step.weight });
  if (step.pause !== undefined) out.push({ pause: { duration: argoDuration(step.pause) } });
  return out;
}

/** The Rollout and AnalysisTemplates for one environment of rollout.yaml. */
export function generateArgoResources(config: RolloutConfig, envName: string, opts: GenerateOptions): GeneratedResources {
  const env = config.environments[envName];
  if (!env) throw new CcrError('not_found', `rollout.yaml has no environment ${envName}`);
  if (env.strategy !== 'canary' || !env.canary) {
    throw new CcrError('config_invalid', `environments.${envName}.strategy: Argo Rollouts resources are generated for canary environments (this one is ${env.strategy})`);
  }
  const templates = new Map<string, AnalysisConfig>();
  const steps = env.canary.steps.flatMap((s, i) => argoStep(s, templates, config, i));
  const rollout = {
    apiVersion: ARGO,
    kind: 'Rollout',
    metadata: { name: ROLLOUT_NAME, labels: { 'app.kubernetes.io/name': 'cc-api', 'app.kubernetes.io/part-of': 'cc-webapp', 'app.kubernetes.io/managed-by': 'ccr' } },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'cc-api' } },
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cc-api', scaleDown: 'progressively' },
      strategy: {
        canary: {
          stableService: 'cc-api',
          canaryService: 'cc-api-canary',
          trafficRouting: { nginx: { stableIngress: 'cc-webapp' } },
          // Old pods stay up a while after promotion so an abort is instant.
          scaleDownDelaySeconds: 600,
          abortScaleDownDelaySeconds: 30,
          steps,
        },
      },
    },
  };
  return { rollout, analysisTemplates: [...templates].map(([name, a]) => analysisTemplate(name, a, opts)), externalSecret: generateExternalSecret(config, envName) };
}

/** The generated resources as one multi-document YAML file, with a header naming its source. */
export function renderArgoYaml(config: RolloutConfig, envName: string, opts: GenerateOptions): string {
  const { rollout, analysisTemplates, externalSecret } = generateArgoResources(config, envName, opts);
  const header = `# GENERATED by \`ccr k8s render --env ${envName} --write\` from rollout.yaml (environments.${envName}.canary\n# and the analyses it names). Do not edit: change rollout.yaml and render again.\n`;
  return header + [rollout, ...analysisTemplates, ...(externalSecret ? [externalSecret] : [])].map((doc) => `---\n${stringify(doc, { lineWidth: 0 })}`).join('');
}
