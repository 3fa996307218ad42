#!/usr/bin/env -S node --import tsx
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { errorMessage, FleetError } from './errors.js';
import { createFleet, listFleets, openFleet, reapFleets, type Fleet } from './fleet.js';
import { isAlive } from './proc.js';

// The test bed by hand, for debugging: make a fleet that outlives the command, get into its
// hosts, break its links, and take it down. Tests use the library (fleet.ts) instead.

const HELP = `Usage: npx tsx scripts/hosts/cli.ts <command> [options]

A fleet of real hosts on this machine (network namespaces on a bridge, Debian's sshd in each;
HAProxy on lb-1; PostgreSQL 15, Redis and the Kafka mock on data-1). Needs root.

Commands:
  up [--app-hosts N] [--no-lb] [--no-data] [--name NAME] [--disk-mb MB] [--json]
                         create a fleet that stays until \`down\` (N = 1..4, default 2)
  list [--json]          every fleet on this machine, with its owner
  ssh FLEET HOST [CMD]   ssh into a host as the deploy user (pinned key, multiplexed)
  exec FLEET HOST CMD... run CMD as root inside the host (bypasses SSH: debugging only)
  partition FLEET HOST   take the host's link down        heal FLEET HOST   bring it back
  netem FLEET HOST [--delay-ms MS] [--jitter-ms MS] [--loss-pct P]
                         delay / drop what the host sends  clear-netem FLEET HOST
  restart-lb FLEET       kill HAProxy on lb-1 and start it from its config
  down FLEET... | --all  destroy fleets made with \`up\` (--all: every fleet whose owner is gone, too)
  reap [--detached]      remove fleets whose creating process died (--detached: also \`up\` fleets)

FLEET is an id (ccf-1a2b3c) or a name given to \`up\`.

Examples:
  npx tsx scripts/hosts/cli.ts up --app-hosts 2 --name debug
  npx tsx scripts/hosts/cli.ts ssh debug app-1 'df -h ~'
  npx tsx scripts/hosts/cli.ts netem debug app-2 --delay-ms 200
  npx tsx scripts/hosts/cli.ts down debug
`;

function describe(f: Fleet): Record<string, unknown> {
  return {
    id: f.id,
    name: f.name,
    subnet: f.subnet,
    user: f.user,
    home: f.home,
    clientKey: f.clientKey,
    knownHosts: f.knownHosts,
    hosts: f.hosts.map((h) => ({ name: h.name, role: h.role, address: h.address, netns: h.netns })),
    ...(f.lb ? { lb: { http: `http://${f.lb.http.host}:${f.lb.http.port}/`, runtimeApi: f.lb.runtimeApi, config: f.lb.configPath } } : {}),
    ...(f.data ? { data: { databaseUrl: f.data.databaseUrl(), redisUrl: f.data.redisUrl, kafkaBrokers: f.data.kafkaBrokers } } : {}),
    createMs: f.createMs,
  };
}

function need(args: string[], n: number, usage: string): string[] {
  if (args.length < n) throw new FleetError('usage', `usage: cli.ts ${usage}`);
  return args;
}

async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'app-hosts': { type: 'string' }, 'no-lb': { type: 'boolean' }, 'no-data': { type: 'boolean' },
      name: { type: 'string' }, 'disk-mb': { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' },
      detached: { type: 'boolean' }, 'delay-ms': { type: 'string' }, 'jitter-ms': { type: 'string' }, 'loss-pct': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, ...args] = positionals;
  if (o.help || !cmd || cmd === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const num = (v: string | undefined, what: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new FleetError('usage', `--${what} wants a number, got "${v}"`);
    return n;
  };
  switch (cmd) {
    case 'up': {
      const f = await createFleet({
        appHosts: num(o['app-hosts'], 'app-hosts'), withLb: !o['no-lb'], withData: !o['no-data'], name: o.name,
        diskMb: num(o['disk-mb'], 'disk-mb'), detached: true, log: o.json ? undefined : (l) => console.error(l),
      });
      if (o.json) console.log(JSON.stringify(describe(f)));
      else {
        console.log(JSON.stringify(describe(f), null, 2));
        console.log(`\nssh: npx tsx scripts/hosts/cli.ts ssh ${f.name} ${f.hosts[0]!.name}\ndown: npx tsx scripts/hosts/cli.ts down ${f.id}`);
      }
      return 0;
    }
    case 'list': {
      const rows = listFleets().map((s) => ({
        id: s.id, name: s.name, createdAt: s.createdAt, subnet: s.subnet,
        owner: s.owner ? `${s.owner.pid} (${isAlive(s.owner) ? 'running' : 'gone'})` : 'cli.ts up',
        hosts: s.hosts.map((h) => `${h.name}=${h.address}`).join(' '),
      }));
      if (o.json) console.log(JSON.stringify(rows));
      else if (rows.length === 0) console.log('no fleets');
      else for (const r of rows) console.log(`${r.id}  ${r.name}  owner ${r.owner}  ${r.hosts}`);
      return 0;
    }
    case 'ssh': {
      const [fleet, host, ...rest] = need(args, 2, 'ssh FLEET HOST [CMD]');
      const f = openFleet(fleet!);
      const sshArgs = [...f.sshArgs(host!), ...(rest.length ? [rest.join(' ')] : [])];
      return spawnSync('ssh', rest.length ? sshArgs : ['-t', ...sshArgs], { stdio: 'inherit' }).status ?? 1;
    }
    case 'exec': {
      const [fleet, host, ...rest] = need(args, 3, 'exec FLEET HOST CMD...');
      const r = await openFleet(fleet!).exec(host!, rest, { allowFailure: true });
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      return r.code;
    }
    case 'partition':
    case 'heal':
    case 'clear-netem': {
      const [fleet, host] = need(args, 2, `${cmd} FLEET HOST`);
      const f = openFleet(fleet!);
      await (cmd === 'partition' ? f.partition(host!) : cmd === 'heal' ? f.heal(host!) : f.clearNetem(host!));
      return 0;
    }
    case 'netem': {
      const [fleet, host] = need(args, 2, 'netem FLEET HOST [--delay-ms MS] [--jitter-ms MS] [--loss-pct P]');
      await openFleet(fleet!).netem(host!, { delayMs: num(o['delay-ms'], 'delay-ms'), jitterMs: num(o['jitter-ms'], 'jitter-ms'), lossPct: num(o['loss-pct'], 'loss-pct') });
      return 0;
    }
    case 'restart-lb': {
      const [fleet] = need(args, 1, 'restart-lb FLEET');
      await openFleet(fleet!).restartLb();
      return 0;
    }
    case 'down': {
      if (o.all) {
        const ids = reapFleets({ detached: true, log: (l) => console.error(l) });
        console.log(ids.length ? `removed ${ids.join(', ')}` : 'nothing to remove');
        return 0;
      }
      need(args, 1, 'down FLEET... | --all');
      for (const ref of args) {
        const f = openFleet(ref);
        if (f.owner && isAlive(f.owner)) throw new FleetError('usage', `fleet ${f.id} belongs to running process ${f.owner.pid}, which destroys it when it ends`);
        await f.destroy();
        console.log(`removed ${f.id} (${f.name}) in ${f.destroyMs} ms`);
      }
      return 0;
    }
    case 'reap': {
      const ids = reapFleets({ detached: o.detached, log: (l) => console.error(l) });
      if (o.json) console.log(JSON.stringify(ids));
      return 0;
    }
    default:
      throw new FleetError('usage', `unknown command "${cmd}" (see --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`cli.ts: ${errorMessage(err)}`);
    process.exit(err instanceof FleetError && err.code === 'usage' ? 64 : 1);
  },
);
