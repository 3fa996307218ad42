// The Node router against the shared routing contract, once with each upstream client:
// bench:router compares them, so both must route alike (streaming, draining, 502/504,
// per-version metrics, keep-alive reuse).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter, type RouterOptions } from '../src/index.js';
import { runRouterContract } from './contract/router-contract.js';
import type { RouterDriverFactory } from './contract/router-driver.js';

const nodeRouterDriver =
  (upstreamClient: RouterOptions['upstreamClient']): RouterDriverFactory =>
  async (setup) => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-router-contract-'));
    const removeDir = () => rmSync(dir, { recursive: true, force: true });
    try {
      const router = await createRouter({
        host: '127.0.0.1',
        adminToken: 'contract-admin-token',
        pinToken: setup.pinToken,
        stateFile: join(dir, 'state.json'),
        initialState: setup.initialState,
        healthCheck: { enabled: true, ...setup.health },
        drainTimeoutMs: 10_000,
        upstreamClient,
      });
      const { port } = await router.listen();
      return {
        baseUrl: `http://127.0.0.1:${port}`,
        applyState: async (state) => {
          await router.setState(state);
        },
        readMetrics: async () => router.metrics(),
        stop: () => router.close(1000).finally(removeDir),
      };
    } catch (err) {
      removeDir();
      throw err;
    }
  };

runRouterContract('node router', nodeRouterDriver('own'));
runRouterContract('node router on undici', nodeRouterDriver('undici'));
