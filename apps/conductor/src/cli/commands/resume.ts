import type { Command } from 'commander';
import { registerResume } from './pause.js';

export function register(program: Command): void {
  registerResume(program);
}
