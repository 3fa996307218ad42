// Test-only preload (`node --import` it before the entry point): SIGUSR2 makes the API process
// fail the way a bug in a timer or the relay loop would, outside any request. Production never
// loads this file, so the fault cannot be triggered there. The message carries a credential, as
// a driver's connection error might, so the test can check it is scrubbed.
process.on('SIGUSR2', () => {
  const where = `postgres://cc:${process.env['CC_TEST_CRASH_SECRET'] ?? 'secret'}@db.internal:5432/cc`;
  setTimeout(() => {
    if (process.env['CC_TEST_CRASH'] === 'reject') void Promise.reject(new Error(`test crash: a promise nobody awaited (${where})`));
    else throw new Error(`test crash: thrown from a timer (${where})`);
  }, 0);
});
