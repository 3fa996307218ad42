import { join } from 'node:path';
import type { RolloutConfig } from '../../config/index.js';
import { runPlan, spawnRunner, type Runner } from './executor.js';
import { overlayFor } from './overlay.js';
import { KubePlanner, type PinnedImages } from './plan.js';
import { parseRolloutStatus, type RolloutStatus } from './status.js';

// The conductor's kubernetes target: Kubernetes runs the pods and Argo Rollouts the canary
// (generated from rollout.yaml, see generate.ts); the conductor applies, migrates, starts,
// watches, promotes and aborts. Every action is a plan run by one executor.

export class KubernetesTarget {
  readonly type = 'kubernetes';
  readonly planner: KubePlanner;

  constructor(planner: KubePlanner, private readonly runner: Runner = spawnRunner, private readonly onProgress: (line: string) => void = () => undefined) {
    this.planner = planner;
  }

  static fromConfig(config: RolloutConfig, envName: string, projectRoot: string, runner?: Runner, onProgress?: (line: string) => void): KubernetesTarget {
    const o = overlayFor(config, envName, projectRoot);
    return new KubernetesTarget(new KubePlanner({
      namespace: o.namespace,
      ...(o.context ? { context: o.context } : {}),
      overlayDir: o.overlayDir,
      migrateJobTemplate: join(projectRoot, 'deploy/k8s/jobs/migrate-job.yaml'),
    }), runner, onProgress);
  }

  /** kubectl apply -k <overlay>. */
  async apply(): Promise<void> {
    await runPlan(this.planner.apply(), this.runner, this.onProgress);
  }

  /** Runs the release's migration Job to completion; returns its log tail. */
  async migrate(version: string, apiImage: string): Promise<string> {
    const results = await runPlan(this.planner.migrate(version, apiImage), this.runner, this.onProgress);
    return results.at(-1)?.stdout ?? '';
  }

  /** Sets the images; the Rollout starts its canary steps. */
  async deploy(images: PinnedImages): Promise<void> {
    await runPlan(this.planner.deploy(images), this.runner, this.onProgress);
  }

  async status(): Promise<RolloutStatus> {
    const [result] = await runPlan(this.planner.status(), this.runner, this.onProgress);
    return parseRolloutStatus(result!.stdout);
  }

  async promote(opts: { full?: boolean } = {}): Promise<void> {
    await runPlan(this.planner.promote(opts), this.runner, this.onProgress);
  }

  async abort(): Promise<void> {
    await runPlan(this.planner.abort(), this.runner, this.onProgress);
  }

  /** Redeploys the previous release's images by digest. */
  async rollback(previous: PinnedImages): Promise<void> {
    await runPlan(this.planner.rollback(previous), this.runner, this.onProgress);
  }
}
