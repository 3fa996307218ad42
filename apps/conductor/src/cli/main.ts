import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

// Every command is registered from its own file; each takes --json (DESIGN §4) and its --help
// ends with an example.
const program = new Command('ccr')
  .description('CC release conductor: the rollout plan as code')
  .option('--json', 'machine-readable output (one JSON document on stdout)')
  .showHelpAfterError('(add --help for usage and an example)')
  .configureHelp({ sortSubcommands: true });

registerCommands(program);
await program.parseAsync(process.argv);
