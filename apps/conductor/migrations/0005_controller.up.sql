-- The release controller (issue 12): control requests in their own table, live controllers,
-- and audit rows that name the identity and the channel. Expand-only: new tables and nullable
-- columns; rows written before this migration keep identity/channel NULL (their `actor` says who).

-- promote, pause, resume, abort, rollback, approve, hypercare-end: each request is applied
-- exactly once, in id order, by whoever drives the release (or holds the env lock for an
-- env-level rollback). A request that conflicts with a pending one is still recorded, rejected.
CREATE TABLE control_requests (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  env           text NOT NULL,
  release_id    text REFERENCES releases (id),
  action        text NOT NULL CHECK (action IN ('promote', 'pause', 'resume', 'abort', 'rollback', 'approve', 'hypercare-end')),
  params        jsonb NOT NULL DEFAULT '{}',
  identity      text NOT NULL,
  channel       text NOT NULL CHECK (channel IN ('cli', 'api', 'console', 'controller')),
  requested_at  timestamptz NOT NULL DEFAULT now(),
  state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'rejected')),
  decided_at    timestamptz,
  result        text NOT NULL DEFAULT '',
  CHECK ((state = 'pending') = (decided_at IS NULL))
);
CREATE INDEX control_requests_pending_idx ON control_requests (env, id) WHERE state = 'pending';
CREATE INDEX control_requests_release_idx ON control_requests (release_id, id);

-- Wakes the controllers (LISTEN ccr_control) the moment a request is recorded.
CREATE FUNCTION control_requests_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ccr_control', NEW.env);
  RETURN NEW;
END;
$$;
CREATE TRIGGER control_requests_notify AFTER INSERT ON control_requests
  FOR EACH ROW EXECUTE FUNCTION control_requests_notify();

-- Live `ccr server` processes, so a CLI can tell whether an environment is served.
CREATE TABLE controllers (
  id            text PRIMARY KEY,
  host          text NOT NULL,
  pid           integer NOT NULL,
  envs          text[] NOT NULL,
  backend_pid   integer NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE audit_log ADD COLUMN identity text;
ALTER TABLE audit_log ADD COLUMN channel text;
