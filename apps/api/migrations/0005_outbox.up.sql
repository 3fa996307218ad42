-- Transactional outbox: user actions are written with the change that caused them and
-- relayed to Kafka afterwards. Rows are kept after publishing for read-back and audits.
CREATE TABLE outbox_events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      uuid NOT NULL UNIQUE,
  user_id       uuid,
  action_type   text NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text
);
CREATE INDEX outbox_events_unpublished_idx ON outbox_events (id) WHERE published_at IS NULL;

-- Fallback for login rate limits when Redis is not configured or down.
CREATE TABLE login_failures (
  key          text NOT NULL,
  window_start timestamptz NOT NULL,
  failures     integer NOT NULL DEFAULT 0,
  PRIMARY KEY (key, window_start)
);
