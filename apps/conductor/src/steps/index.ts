// Built-in step implementations register themselves on import. Loaded lazily by the commands
// that run or describe plans, so `ccr --help` stays fast.
export async function loadStepImplementations(): Promise<void> {
  await Promise.all([
    import('./smoke.js'),
    import('./notify.js'),
  ]);
}
