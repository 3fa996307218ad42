import type pg from 'pg';
import { parseRollout, type RolloutConfig } from '../../src/config/index.js';
import { createContext } from '../../src/engine/create-context.js';
import { runRelease, type RunOutcome } from '../../src/engine/executor.js';
import type { ProgressEvent } from '../../src/engine/context.js';
import type { Notifier, NotifyData, NotifyEvent } from '../../src/notify/index.js';
import { deployRecovery } from '../../src/rollback/recovery.js';
import { loadStepImplementations } from '../../src/steps/index.js';
import type { DeployServices } from '../../src/engine/deploy-context.js';
import { sendSmokeTraffic } from '../../src/analysis/smoke-traffic.js';
import { createRelease, updateRelease, type Release } from '../../src/store/index.js';
import type { Stage } from './fake-fleet.js';
import { runServices } from './run-services.js';

// Runs real releases (executor, steps, strategies, recovery) against a Stage: the plan is just
// the traffic steps, artifacts are pretend (every version "exists"), notifications are kept.

export function testRollout(extra = ''): RolloutConfig {
  return parseRollout(`
version: 1
defaultEnvironment: test
environments:
  test:
    target: { type: local, instances: 2 }
    strategy: blue-green
    blueGreen: { scaleDownDelay: 1s, prePromotionSmoke: false }
    canary:
      steps:
        - { weight: 25, pause: 500ms }
        - { analysis: quick }
        - { weight: 100 }
    rolling: { readyTimeout: 5s }
${extra}
analysis:
  quick:
    interval: 1500ms
    count: 2
    failureLimit: 0
    minRequests: 20
    lowTraffic: { action: smoke-traffic, requests: 40 }
    metrics:
      - { name: error-rate, provider: builtin, check: error-rate, maxDelta: 0.05 }
      - { name: p95-latency, provider: builtin, check: latency, quantile: 0.95, maxRatio: 3, minAbsoluteMs: 50 }
plan:
  - phase: deployment
    steps:
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend }
      - { id: deploy-frontend, kind: automated, type: deploy.frontend, title: Frontend }
`, 'test-rollout.yaml');
}

export class RecordingNotifier implements Notifier {
  readonly channels = ['memory'];
  readonly sent: Array<{ event: NotifyEvent; data: NotifyData }> = [];
  async notify(event: NotifyEvent, data: NotifyData) {
    this.sent.push({ event, data });
    return { event, deliveries: [{ channel: 'memory', ok: true }], ok: true };
  }
}

export interface RunResult {
  outcome: RunOutcome;
  release: Release;
  events: ProgressEvent[];
  notifier: RecordingNotifier;
}

export async function runDeploy(store: pg.Pool, s: Stage, o: { version: string; stable: string; strategy: string; config?: RolloutConfig; beforeRun?: (r: Release) => Promise<void> | void }): Promise<RunResult> {
  await loadStepImplementations();
  const config = o.config ?? testRollout();
  let release = await createRelease(store, { env: 'test', ref: o.version, strategy: o.strategy, startedBy: 'test', phase: 'deployment', previousVersion: o.stable });
  release = await updateRelease(store, release.id, { version: o.version, data: { stable: o.stable } });
  await o.beforeRun?.(release);
  const notifier = new RecordingNotifier();
  const services: DeployServices = {
    ...runServices(),
    target: s.target,
    instances: 2,
    notifier,
    artifacts: {
      build: async (ref) => ({ version: ref, commit: '0'.repeat(40), built: false }),
      verify: async () => ({ ok: true, checked: 1, problems: [] }),
      has: () => true,
      hasWeb: () => true,
      migrate: async () => ({ applied: 0 }),
    },
    smokeTraffic: (v, n) => sendSmokeTraffic(s.target.pinned(v), n),
  };
  const events: ProgressEvent[] = [];
  const ctx = createContext({ store, config, envName: 'test', release, actor: 'test', services, progress: (e) => events.push(e) });
  const outcome = await runRelease(ctx, deployRecovery());
  return { outcome, release: ctx.release, events, notifier };
}
