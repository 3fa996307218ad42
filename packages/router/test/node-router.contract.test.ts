// The Node router against the shared routing contract.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter } from '../src/index.js';
import { runRouterContract } from './contract/router-contract.js';
import type { RouterDriverFactory } from './contract/router-driver.js';

const nodeRouterDriver: RouterDriverFactory = async (setup) => {
  const router = await createRouter({
    host: '127.0.0.1',
    adminToken: 'contract-admin-token',
    pinToken: setup.pinToken,
    stateFile: join(mkdtempSync(join(tmpdir(), 'cc-router-contract-')), 'state.json'),
    initialState: setup.initialState,
    healthCheck: { enabled: true, ...setup.health },
    drainTimeoutMs: 10_000,
  });
  const { port } = await router.listen();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    applyState: async (state) => {
      await router.setState(state);
    },
    readMetrics: async () => router.metrics(),
    stop: () => router.close(1000),
  };
};

runRouterContract('node router', nodeRouterDriver);
