-- Players and the invite codes they sign up with. Balance lives on the user row so that one
-- row lock serialises every coin movement of a user; the ledger explains every change.
CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  nickname      text NOT NULL,
  password_hash text NOT NULL,
  role          text NOT NULL DEFAULT 'player' CHECK (role IN ('player', 'admin')),
  synthetic     boolean NOT NULL DEFAULT false,
  balance       bigint NOT NULL DEFAULT 0 CONSTRAINT users_balance_non_negative CHECK (balance >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_nickname_format CHECK (nickname ~ '^[A-Za-z0-9_]{3,20}$')
);
CREATE UNIQUE INDEX users_nickname_lower_key ON users (lower(nickname));

CREATE TABLE invite_codes (
  code        text PRIMARY KEY,
  max_uses    integer NOT NULL DEFAULT 1 CHECK (max_uses > 0),
  uses        integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
  smoke       boolean NOT NULL DEFAULT false,
  expires_at  timestamptz,
  created_by  uuid REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invite_codes_uses_within_max CHECK (uses <= max_uses)
);
