import { createFleet } from '../fleet.js';
import { loadState } from '../state.js';

// A process that makes a small fleet for reap.test.ts, prints its record, then either waits
// to be killed ("wait") or simply ends without calling destroy() ("return").
const mode = process.argv[2] ?? 'wait';
const fleet = await createFleet({ appHosts: 1, withLb: false, withData: false, name: `child-${mode}` });
const state = loadState(fleet.dir)!;
process.stdout.write(`${JSON.stringify({ id: fleet.id, dir: fleet.dir, bridge: state.bridge, netns: state.hosts.map((h) => h.netns), refs: state.hosts.flatMap((h) => [h.anchor, ...Object.values(h.services)]) })}\n`);
if (mode === 'wait') setInterval(() => undefined, 60_000);
