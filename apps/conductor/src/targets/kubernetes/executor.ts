import { spawn } from 'node:child_process';
import { CcrError } from '../../errors.js';
import type { KubeCommand } from './plan.js';

// The one place kubernetes-target commands run. Plans stay data; this runs them in order,
// feeding stdin and stopping at the first failure with kubectl's own message.

export interface CommandResult {
  command: KubeCommand;
  stdout: string;
  stderr: string;
}

export type Runner = (command: KubeCommand) => Promise<CommandResult>;

export const spawnRunner: Runner = (command) =>
  new Promise((resolve, reject) => {
    const [bin, ...args] = command.argv;
    const child = spawn(bin!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (err) => reject(new CcrError('step_failed', `${command.description}: cannot run ${bin}: ${err.message}`, { cause: err })));
    child.on('close', (code) => {
      if (code === 0) resolve({ command, stdout, stderr });
      else reject(new CcrError('step_failed', `${command.description}: ${bin} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`));
    });
    child.stdin.end(command.stdin ?? '');
  });

export async function runPlan(plan: KubeCommand[], runner: Runner = spawnRunner, onProgress: (line: string) => void = () => undefined): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (const command of plan) {
    onProgress(command.description);
    results.push(await runner(command));
  }
  return results;
}
