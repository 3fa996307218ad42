-- Access tokens revoked before they expire (logout, password change): by token id ('j:<jti>')
-- or by session ('s:<refresh family id>'). Rows live as long as the longest access token they
-- could name; Redis holds a copy that every request reads, this table is the record it is
-- rebuilt from.
CREATE TABLE revoked_tokens (
  id          text PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);
