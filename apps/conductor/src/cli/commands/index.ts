import type { Command } from 'commander';
import { register as plan } from './plan.js';
import { register as build } from './build.js';
import { register as verifyArtifact } from './verify-artifact.js';
import { register as up } from './up.js';
import { register as down } from './down.js';
import { register as status } from './status.js';

/** Each command file exports register(program); adding a command is one line here. */
const registrars: Array<(program: Command) => void> = [
  plan,
  build,
  verifyArtifact,
  up,
  down,
  status,
];

export function registerCommands(program: Command): void {
  for (const register of registrars) register(program);
}
