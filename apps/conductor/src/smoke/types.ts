// The smoke suite's public shapes. The deploy strategies call runSmokeSuite() directly, or
// the `smoke` plan step does it for them using SmokeServices from ctx.services.

/** Where pinned smoke requests go: the router's public URL plus the pin headers. */
export interface SmokeTarget {
  baseUrl: string;
  /** X-CC-Version and X-CC-Pin-Token; sent on every request, never logged or reported. */
  headers: Record<string, string>;
}

/**
 * What the `smoke` step needs from the command that started the run. The deploy command
 * provides it as `services.smoke` (see steps/smoke.ts).
 */
export interface SmokeServices {
  /** The pinned route to one version (router URL and pin headers for that version). */
  smokeTarget(version: string): SmokeTarget | Promise<SmokeTarget>;
  /** A fresh single-use smoke invite code (e.g. smokeInviteFromCli(...)). */
  smokeInvite(): Promise<string>;
}

export interface SmokeOptions {
  baseUrl: string;
  /** Pin headers: X-CC-Version + X-CC-Pin-Token. They also bypass maintenance mode. */
  headers: Record<string, string>;
  /** The version /version and index.html must report. */
  expectVersion: string;
  /** Provides a smoke invite; called once, only when the signup check runs. */
  inviteCode: () => Promise<string>;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** Run only these checks (their prerequisites are added); default all. See SMOKE_CHECKS. */
  checks?: string[];
}

export interface SmokeCheckResult {
  name: string;
  ok: boolean;
  /** True when a prerequisite failed and the check did not run (ok is then false). */
  skipped?: boolean;
  durationMs: number;
  /** What was expected and what came back (status, error code, body excerpt); never tokens. */
  error?: string;
}

export interface SmokeReport {
  ok: boolean;
  version: string;
  /** Wall time of the whole suite. */
  durationMs: number;
  checks: SmokeCheckResult[];
}
