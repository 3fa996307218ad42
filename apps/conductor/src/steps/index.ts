// Built-in step implementations register themselves on import. Loaded lazily by the commands
// that run or describe plans, so `ccr --help` stays fast.
export async function loadStepImplementations(): Promise<void> {
  await Promise.all([
    import('./artifact-build.js'),
    import('./gate-artifact.js'),
    import('./rollback-readiness.js'),
    import('./migrate.js'),
    import('./deploy-backend.js'),
    import('./deploy-frontend.js'),
    import('./maintenance.js'),
    import('./smoke.js'),
    import('./notify.js'),
    import('./backup.js'),
    import('./migrate-lint.js'),
    import('./migrate-rehearse.js'),
    import('./report.js'),
    import('./hypercare.js'),
    import('./gates.js'),
  ]);
}
