import { Command } from 'commander';
import { CONDUCTOR_VERSION } from '../conductor-root.js';
import { registerCommands } from './commands/index.js';

// Every command is registered from its own file; each takes --json (DESIGN §4) and its --help
// ends with an example.
const program = new Command('ccr')
  .description('CC release conductor: the rollout plan as code')
  .version(CONDUCTOR_VERSION, '-V, --version', 'print the conductor\'s version')
  .option('--json', 'machine-readable output (one JSON document on stdout)')
  .showHelpAfterError('(add --help for usage and an example)')
  .configureHelp({ sortSubcommands: true });

await registerCommands(program);
await program.parseAsync(process.argv);
