-- All-time leaderboard totals, one row per player, so GET /api/leaderboard?period=all reads the
-- top of an index instead of summing every play on each request. A trigger keeps them rather
-- than the API: during a canary the previous version writes plays too, and they must count.
-- Only the wagering games count (gacha pulls buy items; they are not losses).
CREATE TABLE leaderboard_totals (
  user_id  uuid PRIMARY KEY REFERENCES users (id),
  net      bigint NOT NULL,
  plays    bigint NOT NULL CHECK (plays > 0)
);
CREATE INDEX leaderboard_totals_rank_idx ON leaderboard_totals (net DESC, plays DESC);

-- Plays are never updated or deleted (they are the idempotency record), so adding on INSERT
-- is the whole story. The user's row is already locked by the play's balance update, so the
-- upsert adds no contention.
CREATE FUNCTION leaderboard_totals_add_play() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO leaderboard_totals AS t (user_id, net, plays) VALUES (NEW.user_id, NEW.payout - NEW.bet, 1)
  ON CONFLICT (user_id) DO UPDATE SET net = t.net + EXCLUDED.net, plays = t.plays + 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER plays_leaderboard_totals
  AFTER INSERT ON plays
  FOR EACH ROW WHEN (NEW.game IN ('slots', 'rps'))
  EXECUTE FUNCTION leaderboard_totals_add_play();

-- The trigger's lock on plays holds concurrent INSERTs until commit, so this snapshot sees
-- every play the trigger will not: nothing is counted twice or missed.
INSERT INTO leaderboard_totals (user_id, net, plays)
SELECT user_id, sum(payout - bet), count(*)
  FROM plays
 WHERE game IN ('slots', 'rps')
 GROUP BY user_id;
