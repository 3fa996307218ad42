// What the conductor's benchmarks share.

export const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

export const say = (s: string) => process.stderr.write(`${s}\n`);

/** Throws with the command's output unless it exited with `code`. */
export function must(r: { code: number | null; stderr: string; stdout: string }, what: string, code = 0): void {
  if (r.code !== code) throw new Error(`${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
}
