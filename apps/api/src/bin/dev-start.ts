// `npm start`: the API on its embedded default. With DATABASE_URL unset it starts a real
// PostgreSQL 15 under .cc/pg, applies migrations and prints where to go next.
import { resolve } from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { runApi } from './run-api.js';

const root = resolve(import.meta.dirname, '../../../..');
const env = { ...process.env };
if (!env['DATABASE_URL']) {
  process.stderr.write('starting embedded PostgreSQL 15 under .cc/pg …\n');
  const db = await startEmbeddedPostgres(resolve(root, '.cc/pg'));
  env['DATABASE_URL'] = db.url;
  const stop = () => { void db.stop(); };
  process.on('exit', stop);
}
env['MIGRATE_ON_START'] ??= 'true';
env['LOG_LEVEL'] ??= 'info';
await runApi(env, (url) => {
  process.stderr.write(
    `\nCC Webapp API is up: ${url}\n` +
      `  health:   ${url}/health\n  version:  ${url}/version\n` +
      `  invite:   DATABASE_URL=<see .cc/pg> npm run admin -- create-invites --count 1\n\n`,
  );
});
