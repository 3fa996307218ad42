// The rollout.yaml of the end-to-end tests: the real steps of this issue with short pauses,
// windows and delays, so a release takes seconds.
export function acceptanceRollout(o: { webhook: string; canaryPause?: string; scaleDownDelay?: string; hypercare?: string }): string {
  return `
version: 1
defaultEnvironment: local
environments:
  local:
    target: { type: local, instances: 2 }
    databaseUrl: \${DATABASE_URL:-}
    strategy: blue-green
    blueGreen: { scaleDownDelay: ${o.scaleDownDelay ?? '5m'} }
    canary:
      steps:
        - { weight: 25, pause: ${o.canaryPause ?? '2s'} }
        - { analysis: quick }
        - { weight: 100 }
    rolling: { readyTimeout: 20s }
    lockLease: 3s
    notifications:
      - { type: webhook, url: "${o.webhook}" }
analysis:
  quick:
    interval: 3s
    count: 2
    failureLimit: 0
    minRequests: 20
    lowTraffic: { action: smoke-traffic, requests: 40 }
    metrics:
      - { name: error-rate, provider: builtin, check: error-rate, maxDelta: 0.02 }
      - { name: p95-latency, provider: builtin, check: latency, quantile: 0.95, maxRatio: 3, minAbsoluteMs: 250 }
plan:
  - phase: pre-deployment
    steps:
      - { id: build-artifacts, kind: automated, type: artifact.build, title: Build the release artifact }
      - { id: artifact-verified, kind: automated, type: gate.artifact, title: Artifact hashes verify }
      - { id: rollback-readiness, kind: automated, type: gate.rollback-readiness, title: Rollback target ready }
  - phase: deployment
    steps:
      - { id: maintenance-on, kind: automated, type: maintenance.on, title: Maintenance on when wrapped }
      - { id: migrate, kind: automated, type: migrate, title: Migrations applied }
      - { id: deploy-backend, kind: automated, type: deploy.backend, title: Backend with the strategy }
      - { id: deploy-frontend, kind: automated, type: deploy.frontend, title: Frontend serves the new version }
      - { id: maintenance-off, kind: automated, type: maintenance.off, title: Maintenance off }
  - phase: post-deployment
    steps:
${o.hypercare ? `      - { id: hypercare, kind: automated, type: hypercare, title: Hypercare watch, params: ${o.hypercare} }\n` : ''}      - { id: release-record, kind: automated, type: report, title: Release record }
`;
}
