-- The append-only wallet ledger. Every coin movement is one row written in the same
-- transaction as the balance change; a trigger refuses UPDATE and DELETE.
CREATE TABLE ledger_entries (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id        uuid NOT NULL REFERENCES users (id),
  kind           text NOT NULL CHECK (kind IN ('signup_bonus', 'bet', 'payout', 'daily_reward', 'gacha', 'adjustment')),
  amount         bigint NOT NULL CHECK (amount <> 0),
  balance_after  bigint NOT NULL CHECK (balance_after >= 0),
  ref_id         text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_user_id_idx ON ledger_entries (user_id, id DESC);

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only (% refused)', TG_OP USING ERRCODE = 'P0001';
END;
$$;
CREATE TRIGGER ledger_entries_no_update_delete
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
