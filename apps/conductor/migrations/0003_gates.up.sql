-- Code freezes and the evidence of every pre-deployment gate (issue 7).
CREATE TABLE code_freezes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rc_tag      text NOT NULL,
  reason      text NOT NULL,
  started_by  text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  ended_by    text,
  ended_at    timestamptz,
  end_reason  text
);
-- At most one freeze is active at a time.
CREATE UNIQUE INDEX code_freezes_one_active ON code_freezes ((true)) WHERE ended_at IS NULL;

-- One row per gate evaluation: by a release's gate step (release_id set) or by `ccr preflight`.
CREATE TABLE gate_results (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id         text REFERENCES releases (id),
  env                text NOT NULL,
  ref                text NOT NULL,
  gate               text NOT NULL,
  result             text NOT NULL CHECK (result IN ('pass', 'fail', 'cannot-check')),
  -- cannot-check let through by the environment's acceptCannotCheck, with its reason
  accepted           boolean NOT NULL DEFAULT false,
  acceptance_reason  text,
  summary            text NOT NULL,
  evidence           jsonb NOT NULL DEFAULT '{}',
  actor              text NOT NULL,
  at                 timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT accepted OR (result = 'cannot-check' AND acceptance_reason IS NOT NULL))
);
CREATE INDEX gate_results_release_idx ON gate_results (release_id, at);
CREATE INDEX gate_results_env_at_idx ON gate_results (env, at);
