import type { Command } from 'commander';

// Each command file exports register(program); adding a command is one line here. Files load
// on demand: `ccr rollback` imports rollback's code and nothing else, because the CLI's
// start-up is part of the time from "roll back" to "traffic is back" (the goal is 1 s).
// Help, `ccr help <cmd>` and unknown words load every file so commander can list them all;
// `ccr --version` needs none.
type Registrar = () => Promise<{ register: (program: Command) => void }>;

export const COMMANDS: Record<string, Registrar> = {
  plan: () => import('./plan.js'),
  build: () => import('./build.js'),
  'verify-artifact': () => import('./verify-artifact.js'),
  up: () => import('./up.js'),
  down: () => import('./down.js'),
  status: () => import('./status.js'),
  deploy: () => import('./deploy.js'),
  rollback: () => import('./rollback.js'),
  abort: () => import('./abort.js'),
  promote: () => import('./promote.js'),
  pause: () => import('./pause.js'),
  resume: () => import('./resume.js'),
  approve: () => import('./approve.js'),
  history: () => import('./history.js'),
  audit: () => import('./audit.js'),
  lock: () => import('./lock.js'),
  maintenance: () => import('./maintenance.js'),
  backup: () => import('./backup.js'),
  migrate: () => import('./migrate.js'),
  hypercare: () => import('./hypercare.js'),
  report: () => import('./report.js'),
  runbook: () => import('./runbook.js'),
  preflight: () => import('./preflight.js'),
  freeze: () => import('./freeze.js'),
  k8s: () => import('./k8s.js'),
  images: () => import('./images.js'),
  pitr: () => import('./pitr.js'),
  server: () => import('./server.js'),
  watch: () => import('./watch.js'),
};

/** The command word of an argv (after node and the script): the first argument not an option. */
export function commandWord(args: readonly string[]): string | undefined {
  return args.find((a) => !a.startsWith('-'));
}

export async function registerCommands(program: Command, args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const word = commandWord(args);
  if (word === undefined && (args.includes('--version') || args.includes('-V'))) return;
  const chosen = word !== undefined && Object.hasOwn(COMMANDS, word) ? [COMMANDS[word]!] : Object.values(COMMANDS);
  const modules = await Promise.all(chosen.map((load) => load()));
  for (const m of modules) m.register(program);
}
