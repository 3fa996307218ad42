-- The conductor's own store (database `ccr`): releases and their steps, persisted after every
-- transition so a killed conductor can resume or abort cleanly.
CREATE TABLE releases (
  id                 text PRIMARY KEY,
  env                text NOT NULL,
  ref                text NOT NULL,
  version            text,
  commit_sha         text,
  strategy           text NOT NULL,
  started_by         text NOT NULL,
  phase              text NOT NULL,
  step               text,
  state              text NOT NULL CHECK (state IN ('running', 'waiting', 'paused', 'promoted', 'failed', 'rolling_back', 'rolled_back', 'aborted')),
  reason             text NOT NULL DEFAULT '',
  previous_version   text,
  roll_forward_only  boolean NOT NULL DEFAULT false,
  options            jsonb NOT NULL DEFAULT '{}',
  data               jsonb NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz
);
-- At most one release in flight per environment, whatever the lock says.
CREATE UNIQUE INDEX releases_one_in_flight ON releases (env) WHERE state IN ('running', 'waiting', 'paused', 'rolling_back');
CREATE INDEX releases_env_created_idx ON releases (env, created_at DESC);

CREATE TABLE release_steps (
  release_id   text NOT NULL REFERENCES releases (id),
  step_id      text NOT NULL,
  phase        text NOT NULL,
  kind         text NOT NULL,
  type         text,
  status       text NOT NULL CHECK (status IN ('pending', 'running', 'waiting', 'done', 'failed', 'skipped')),
  reason       text NOT NULL DEFAULT '',
  attempts     integer NOT NULL DEFAULT 0,
  started_at   timestamptz,
  finished_at  timestamptz,
  data         jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (release_id, step_id)
);

CREATE TABLE environments (
  env               text PRIMARY KEY,
  active_version    text,
  previous_version  text,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE env_locks (
  env           text PRIMARY KEY,
  owner         text NOT NULL,
  pid           integer NOT NULL,
  host          text NOT NULL,
  release_id    text,
  backend_pid   integer NOT NULL,
  acquired_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);

CREATE TABLE approvals (
  release_id  text NOT NULL REFERENCES releases (id),
  step_id     text NOT NULL,
  actor       text NOT NULL,
  note        text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (release_id, step_id)
);

-- Every analysis measurement with its numbers, so each verdict can be explained.
CREATE TABLE measurements (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id       text NOT NULL REFERENCES releases (id),
  step_id          text NOT NULL,
  analysis         text NOT NULL,
  metric           text NOT NULL,
  provider         text NOT NULL,
  verdict          text NOT NULL CHECK (verdict IN ('pass', 'fail', 'inconclusive')),
  value            double precision,
  baseline         double precision,
  threshold        double precision,
  sample_size      integer,
  details          jsonb NOT NULL DEFAULT '{}',
  at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX measurements_release_idx ON measurements (release_id, at);

CREATE TABLE traffic_history (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id  text REFERENCES releases (id),
  env         text NOT NULL,
  service     text NOT NULL,
  weights     jsonb NOT NULL,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX traffic_history_release_idx ON traffic_history (release_id, at);

CREATE TABLE smoke_results (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id   text REFERENCES releases (id),
  version      text NOT NULL,
  check_name   text NOT NULL,
  ok           boolean NOT NULL,
  duration_ms  integer NOT NULL,
  error        text,
  at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id  text REFERENCES releases (id),
  channel     text NOT NULL,
  event       text NOT NULL,
  ok          boolean NOT NULL,
  error       text,
  at          timestamptz NOT NULL DEFAULT now()
);

-- Append-only audit: who, what, when and the result. UPDATE and DELETE are refused.
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  env         text,
  release_id  text,
  action      text NOT NULL,
  result      text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_env_at_idx ON audit_log (env, at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'P0001';
END;
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
