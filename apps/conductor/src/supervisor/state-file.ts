import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

// The supervisor's memory across its own restarts: which instances it started, where.

const savedInstanceSchema = z.object({
  id: z.string(),
  version: z.string(),
  port: z.number().int(),
  /** Where the instance serves /metrics; absent in state written before it had its own port. */
  metricsPort: z.number().int().nullable().optional(),
  pid: z.number().int().nullable(),
  restarts: z.number().int(),
  startedAt: z.string(),
  lastExit: z.object({ code: z.number().nullable(), signal: z.string().nullable(), at: z.string() }).nullable(),
});

const supervisorStateSchema = z.object({
  seq: z.number().int().min(0),
  instances: z.array(savedInstanceSchema),
});

export type SavedInstance = z.infer<typeof savedInstanceSchema>;
export type SupervisorState = z.infer<typeof supervisorStateSchema>;

export function loadSupervisorState(file: string): SupervisorState {
  try {
    const parsed = supervisorStateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // missing or unreadable: nothing to adopt
  }
  return { seq: 0, instances: [] };
}

/** Written to a temp file and renamed, so a crash mid-write keeps the previous state. */
export function saveSupervisorState(file: string, state: SupervisorState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
