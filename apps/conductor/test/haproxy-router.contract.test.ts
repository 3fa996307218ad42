// Debian's haproxy, driven through its Runtime API, against the router contract the Node
// router passes. It lives in the conductor's tests because the HAProxy data plane is
// conductor code and packages never import apps (DESIGN §2).
import { runRouterContract } from '../../../packages/router/test/contract/router-contract.js';
import type { RouterDriverFactory } from '../../../packages/router/test/contract/router-driver.js';
import { readSnapshot } from '../src/targets/haproxy/counters.js';
import { LAYOUT, startLiveHaproxy } from './haproxy-stage.js';

const haproxyDriver: RouterDriverFactory = async (setup) => {
  const h = await startLiveHaproxy({ pinToken: setup.pinToken, health: setup.health });
  try {
    await h.plane.applyState(setup.initialState);
  } catch (err) {
    await h.stop();
    throw err;
  }
  return {
    baseUrl: h.baseUrl,
    applyState: async (state) => {
      await h.plane.applyState(state);
    },
    readMetrics: () => readSnapshot(h.proc.runtime, LAYOUT, h.plane.files),
    stop: () => h.stop(),
  };
};

runRouterContract('haproxy (runtime API)', haproxyDriver);
