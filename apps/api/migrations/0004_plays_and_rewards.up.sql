-- Plays keep the response they returned, keyed by the client's Idempotency-Key, so a replay
-- returns the first result and charges nothing. Daily rewards are one row per user and UTC day.
CREATE TABLE plays (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id          uuid NOT NULL REFERENCES users (id),
  game             text NOT NULL CHECK (game IN ('slots', 'rps', 'gacha')),
  idempotency_key  text NOT NULL,
  request_hash     text NOT NULL,
  bet              bigint NOT NULL CHECK (bet >= 0),
  payout           bigint NOT NULL CHECK (payout >= 0),
  response         jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT plays_user_idempotency_key UNIQUE (user_id, idempotency_key)
);
CREATE INDEX plays_created_at_idx ON plays (created_at);

CREATE TABLE daily_rewards (
  user_id      uuid NOT NULL REFERENCES users (id),
  day          date NOT NULL,
  amount       bigint NOT NULL CHECK (amount > 0),
  streak_days  integer NOT NULL CHECK (streak_days > 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, day)
);
