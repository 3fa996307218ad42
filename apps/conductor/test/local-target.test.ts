import { deployTargetContract } from './contract/deploy-target.contract.js';
import { stage } from './support/fake-fleet.js';

// The local target (supervisor controller + router admin API) against a real router process
// core and small real upstreams.
deployTargetContract('local', async () => {
  const s = await stage('c1', 2);
  return {
    target: s.target,
    stable: 'c1',
    neverReady: (v) => s.fleet.behaviour.set(v, { neverReady: true }),
    close: () => s.close(),
  };
});
