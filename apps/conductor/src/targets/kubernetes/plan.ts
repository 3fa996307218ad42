import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { Command } from '../../command/index.js';
import { ROLLOUT_NAME } from './generate.js';

// The kubernetes target's commands as plain data (Kamal's habit, DESIGN §5): each action
// builds a list of argv arrays (with stdin where a manifest is piped), and one executor
// runs them (executor.ts). Tests compare these plans exactly; no API server runs here.
//
// Argo Rollouts is driven through its resources with plain kubectl, so the kubectl plugin is
// not required: promote and abort are the same status patches `kubectl argo rollouts
// promote|abort` makes, and the status is read from the Rollout object.

/** A kubectl command; a rendered manifest goes in as `stdin`. */
export interface KubeCommand extends Command {
  /** Human summary for progress lines and the audit log. */
  readonly description: string;
  /** Output the caller parses (JSON from `kubectl get -o json`). */
  readonly capture?: boolean;
}

export interface KubeTargetSettings {
  /** kubectl binary (default "kubectl"). */
  kubectl?: string;
  namespace: string;
  context?: string;
  /** Kustomize overlay folder applied by `apply`. */
  overlayDir: string;
  /** Where the migration Job template lives (deploy/k8s/jobs/migrate-job.yaml). */
  migrateJobTemplate: string;
  /** How long to wait for the migration Job (seconds). */
  migrateTimeoutSeconds?: number;
  /** How long to wait for the web Deployment's rolling update (seconds). */
  webTimeoutSeconds?: number;
}

/** An image reference pinned by digest: registry/name@sha256:..., so rollbacks redeploy the same bytes. */
export interface PinnedImages {
  api: string;
  web: string;
}

const DIGEST_REF = /^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/;

export function assertPinned(ref: string): string {
  if (!DIGEST_REF.test(ref)) throw new Error(`image ${ref} is not pinned by digest (registry/name@sha256:<64 hex>)`);
  return ref;
}

/** A release version as a DNS label for object names: lower case, [a-z0-9-], at most 40 chars. */
export function versionLabel(version: string): string {
  const s = version.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  if (!s) throw new Error(`version ${JSON.stringify(version)} has no usable characters for a Kubernetes name`);
  return s;
}

export class KubePlanner {
  constructor(private readonly s: KubeTargetSettings) {}

  private kubectl(...args: string[]): string[] {
    return [this.s.kubectl ?? 'kubectl', ...(this.s.context ? ['--context', this.s.context] : []), '--namespace', this.s.namespace, ...args];
  }

  /** Applies the overlay (config, Services, Ingress, PDBs, HPAs, the Rollout and its analyses). */
  apply(): KubeCommand[] {
    return [{ description: `apply ${this.s.overlayDir}`, argv: this.kubectl('apply', '--kustomize', this.s.overlayDir) }];
  }

  /** The migration Job manifest for one release: its own name, the API image pinned by digest. */
  migrationJob(version: string, apiImage: string): string {
    const job = parse(readFileSync(this.s.migrateJobTemplate, 'utf8')) as { metadata: { name: string; labels?: Record<string, string> }; spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    job.metadata.name = `cc-migrate-${versionLabel(version)}`;
    job.metadata.labels = { ...job.metadata.labels, 'cc-webapp/version': versionLabel(version) };
    for (const c of job.spec.template.spec.containers) c.image = assertPinned(apiImage);
    return stringify(job, { lineWidth: 0 });
  }

  /** Runs the release's migrations as a Job and waits for it; a failed Job fails the wait. */
  migrate(version: string, apiImage: string): KubeCommand[] {
    const job = `job/cc-migrate-${versionLabel(version)}`;
    const timeout = `${this.s.migrateTimeoutSeconds ?? 900}s`;
    return [
      { description: `create migration ${job}`, argv: this.kubectl('apply', '--filename', '-'), stdin: this.migrationJob(version, apiImage) },
      { description: `wait for ${job}`, argv: this.kubectl('wait', '--for=condition=complete', `--timeout=${timeout}`, job) },
      { description: `migration logs of ${job}`, argv: this.kubectl('logs', job, '--tail=200'), capture: true },
    ];
  }

  /**
   * Starts a canary of the API (the Rollout follows its Deployment's pod template) and rolls
   * the web front end, both by digest.
   */
  deploy(images: PinnedImages): KubeCommand[] {
    return [
      { description: 'set the API image (starts the canary)', argv: this.kubectl('set', 'image', 'deployment/cc-api', `api=${assertPinned(images.api)}`) },
      { description: 'set the web image', argv: this.kubectl('set', 'image', 'deployment/cc-web', `web=${assertPinned(images.web)}`) },
      { description: 'wait for the web rollout', argv: this.kubectl('rollout', 'status', 'deployment/cc-web', `--timeout=${this.s.webTimeoutSeconds ?? 300}s`) },
    ];
  }

  /** Reads the Rollout (phase, step, weights, message) as JSON. */
  status(): KubeCommand[] {
    return [{ description: `read rollout ${ROLLOUT_NAME}`, argv: this.kubectl('get', `rollout.argoproj.io/${ROLLOUT_NAME}`, '--output', 'json'), capture: true }];
  }

  /** Resumes a paused canary to its next step; with full, skips the remaining steps and analyses. */
  promote(opts: { full?: boolean } = {}): KubeCommand[] {
    const patch = opts.full ? { status: { promoteFull: true } } : { status: { pauseConditions: null } };
    return [{
      description: opts.full ? 'promote the rollout fully' : 'promote the rollout to its next step',
      argv: this.kubectl('patch', `rollout.argoproj.io/${ROLLOUT_NAME}`, '--subresource', 'status', '--type', 'merge', '--patch', JSON.stringify(patch)),
    }];
  }

  /** Sends all traffic back to stable and scales the canary down. */
  abort(): KubeCommand[] {
    return [{
      description: 'abort the rollout',
      argv: this.kubectl('patch', `rollout.argoproj.io/${ROLLOUT_NAME}`, '--subresource', 'status', '--type', 'merge', '--patch', JSON.stringify({ status: { abort: true } })),
    }];
  }

  /** Rolls back by redeploying the previous release's exact images (same digests). */
  rollback(previous: PinnedImages): KubeCommand[] {
    return [...this.abort(), ...this.deploy(previous)];
  }
}
