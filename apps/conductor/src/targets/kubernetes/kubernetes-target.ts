import { join } from 'node:path';
import type { RolloutConfig } from '../../config/index.js';
import { localExecutor, runPlan, type CommandExecutor, type CommandResult } from '../../command/index.js';
import { overlayFor } from './overlay.js';
import { KubePlanner, type KubeCommand, type PinnedImages } from './plan.js';
import { parseRolloutStatus, type RolloutStatus } from './status.js';

// The conductor's kubernetes target: Kubernetes runs the pods and Argo Rollouts the canary
// (generated from rollout.yaml, see generate.ts); the conductor applies, migrates, starts,
// watches, promotes and aborts. Every action is a plan run by one executor.

export class KubernetesTarget {
  readonly type = 'kubernetes';
  readonly planner: KubePlanner;

  constructor(planner: KubePlanner, private readonly executor: CommandExecutor = localExecutor, private readonly onProgress: (line: string) => void = () => undefined) {
    this.planner = planner;
  }

  static fromConfig(config: RolloutConfig, envName: string, projectRoot: string, executor?: CommandExecutor, onProgress?: (line: string) => void): KubernetesTarget {
    const o = overlayFor(config, envName, projectRoot);
    return new KubernetesTarget(new KubePlanner({
      namespace: o.namespace,
      ...(o.context ? { context: o.context } : {}),
      overlayDir: o.overlayDir,
      migrateJobTemplate: join(projectRoot, 'deploy/k8s/jobs/migrate-job.yaml'),
    }), executor, onProgress);
  }

  /** A plan, in order; a failed kubectl is a step failure with kubectl's own message. */
  private run(plan: KubeCommand[]): Promise<CommandResult[]> {
    return runPlan(plan, { executor: this.executor, onProgress: this.onProgress, code: 'step_failed' });
  }

  /** kubectl apply -k <overlay>. */
  async apply(): Promise<void> {
    await this.run(this.planner.apply());
  }

  /** Runs the release's migration Job to completion; returns its log tail. */
  async migrate(version: string, apiImage: string): Promise<string> {
    const results = await this.run(this.planner.migrate(version, apiImage));
    return results.at(-1)?.stdout ?? '';
  }

  /** Sets the images; the Rollout starts its canary steps. */
  async deploy(images: PinnedImages): Promise<void> {
    await this.run(this.planner.deploy(images));
  }

  async status(): Promise<RolloutStatus> {
    const [result] = await this.run(this.planner.status());
    return parseRolloutStatus(result!.stdout);
  }

  async promote(opts: { full?: boolean } = {}): Promise<void> {
    await this.run(this.planner.promote(opts));
  }

  async abort(): Promise<void> {
    await this.run(this.planner.abort());
  }

  /** Redeploys the previous release's images by digest. */
  async rollback(previous: PinnedImages): Promise<void> {
    await this.run(this.planner.rollback(previous));
  }
}
