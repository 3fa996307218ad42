import { createFleet, type Fleet, type FleetOptions } from './fleet.js';

// npm run bench:fleet — how long a fleet takes to make and to remove, and what an SSH command
// costs with and without multiplexing. Numbers, not pass/fail; the last line is one JSON object.

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function round(o: FleetOptions): Promise<{ create: number; destroy: number }> {
  const fleet = await createFleet(o);
  await fleet.destroy();
  return { create: fleet.createMs, destroy: fleet.destroyMs };
}

async function timeSsh(fleet: Fleet, multiplex: boolean, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fleet.ssh('app-1', 'true', { multiplex });
    if (r.code !== 0) throw new Error(`ssh failed: ${r.stderr}`);
    times.push(performance.now() - t0);
  }
  return Math.round(median(times));
}

const full: Array<{ create: number; destroy: number }> = [];
for (let i = 0; i < ROUNDS; i++) {
  full.push(await round({ appHosts: 2, name: 'bench' }));
  console.error(`full fleet (lb, data, 2 apps): created in ${full.at(-1)!.create} ms, destroyed in ${full.at(-1)!.destroy} ms`);
}
const four = await round({ appHosts: 4, name: 'bench-4' });
console.error(`full fleet with 4 app hosts: created in ${four.create} ms`);
const bare = await round({ appHosts: 2, withData: false, name: 'bench-nodata' });
console.error(`lb + 2 apps (no data host): created in ${bare.create} ms`);

const fleet = await createFleet({ appHosts: 1, withData: false, withLb: false, name: 'bench-ssh' });
let sshPlain = 0;
let sshMux = 0;
try {
  sshPlain = await timeSsh(fleet, false, 5);
  await fleet.ssh('app-1', 'true'); // opens the master
  sshMux = await timeSsh(fleet, true, 10);
} finally {
  await fleet.destroy();
}
console.error(`ssh command: ${sshPlain} ms with a new connection, ${sshMux} ms through a ControlMaster`);

console.log(JSON.stringify({
  rounds: ROUNDS,
  create_ms_p50: median(full.map((r) => r.create)),
  create_ms_max: Math.max(...full.map((r) => r.create)),
  destroy_ms_p50: median(full.map((r) => r.destroy)),
  create_ms_4_app_hosts: four.create,
  create_ms_without_data_host: bare.create,
  ssh_ms_new_connection_p50: sshPlain,
  ssh_ms_multiplexed_p50: sshMux,
}));
