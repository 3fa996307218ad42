// Starts a Node router for router-specific tests, with a state file in a fresh temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouterStateInput, RouterTarget } from '@cc/contracts';
import { createRouter, type Router, type RouterOptions } from '../../src/index.js';
import type { Upstream } from './upstream.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const PIN_TOKEN = 'test-pin-token-0123456789';

export interface Fixture {
  router: Router;
  base: string;
  admin: string;
  stateFile: string;
  stop(): Promise<void>;
}

// A router's state file must outlive stop() (tests restart a router on it), so the folders
// go when the test file's process exits, passed or failed.
const scratch: string[] = [];
process.once('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cc-router-test-'));
  scratch.push(dir);
  return dir;
}

export async function startRouter(initialState: RouterStateInput, extra: Partial<RouterOptions> = {}): Promise<Fixture> {
  const stateFile = extra.stateFile ?? join(scratchDir(), 'state.json');
  const router = await createRouter({
    host: '127.0.0.1',
    adminToken: ADMIN_TOKEN,
    pinToken: PIN_TOKEN,
    stateFile,
    initialState,
    healthCheck: { enabled: false },
    ...extra,
  });
  const { port, adminPort } = await router.listen();
  return {
    router,
    base: `http://127.0.0.1:${port}`,
    admin: `http://127.0.0.1:${adminPort}`,
    stateFile,
    stop: () => router.close(500),
  };
}

export function t(u: Upstream, weight: number): RouterTarget {
  return { id: u.id, version: u.version, url: u.url, weight };
}

export function apiOnly(...targets: RouterTarget[]): RouterStateInput {
  return { services: { api: { targets }, web: { targets: [] } } };
}
