import type { DeployTarget, TargetInstance } from '../engine/deploy-target.js';

/**
 * Takes a version out of the data plane (its connections drain), then stops its instances;
 * returns the instances stopped. The one way a deploy, a rollback, a cleanup and a scale-down
 * retire a version: detaching first means no request is routed to an instance being stopped.
 */
export async function retireVersion(target: DeployTarget, version: string): Promise<TargetInstance[]> {
  await target.detach({ version });
  const mine = (await target.instances()).filter((i) => i.version === version);
  await Promise.all(mine.map((i) => target.stop(i.id)));
  return mine;
}
