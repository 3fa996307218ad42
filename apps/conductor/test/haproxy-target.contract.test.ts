import { deployTargetContract } from './contract/deploy-target.contract.js';
import { haproxyStage } from './haproxy-stage.js';

// The HAProxy target (two loopback "hosts", a real Debian haproxy driven through its Runtime
// API) against the contract the local target passes.
deployTargetContract('haproxy', async () => {
  const s = await haproxyStage('c1', 2);
  return {
    target: s.target,
    stable: 'c1',
    neverReady: (v) => s.behaviour.set(v, { neverReady: true }),
    close: () => s.close(),
  };
});
