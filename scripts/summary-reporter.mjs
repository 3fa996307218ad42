// Closing line for CI and humans: "N passed, N failed". Suites are not counted, only tests.
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.details?.type === 'suite') continue;
    if (data.skip || data.todo) { skipped += 1; continue; }
    if (event.type === 'test:pass') passed += 1;
    else { failed += 1; failures.push(`${data.file ?? ''} › ${data.name}`); }
  }
  if (failures.length) yield `\nFailed tests:\n${failures.map((f) => `  ✖ ${f}`).join('\n')}\n`;
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
