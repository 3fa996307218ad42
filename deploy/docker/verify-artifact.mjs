// Runs in the images' first build stage: every file the artifact manifest lists must have
// its recorded sha256, so an image holds exactly the bytes `ccr build` produced and verified.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? '.';
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
let bad = 0;
for (const [file, sha] of Object.entries(manifest.files)) {
  const actual = createHash('sha256').update(readFileSync(join(root, file))).digest('hex');
  if (actual !== sha) { console.error(`sha256 mismatch: ${file}`); bad++; }
}
if (bad) process.exit(1);
console.log(`artifact ${manifest.version} (${manifest.commit}): ${Object.keys(manifest.files).length} files verified`);
