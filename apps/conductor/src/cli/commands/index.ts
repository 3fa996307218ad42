import type { Command } from 'commander';

/** Each command file exports register(program); adding a command is one line here. */
const registrars: Array<(program: Command) => void> = [];

export function registerCommands(program: Command): void {
  for (const register of registrars) register(program);
}
