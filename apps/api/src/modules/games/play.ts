import { randomUUID } from 'node:crypto';
import type { DatabaseError } from 'pg';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import type { ServerActionType } from '../../events/action-types.js';
import type { UserActionEvent } from '../../events/outbox.js';
import type { GameId } from '../../games/catalog.js';

// One play is one SQL statement. Its data-modifying CTEs move the balance, append the ledger
// rows, store the play with its response (the idempotency record) and enqueue the outbox
// event, all atomically and in a single round trip; this is what lets a 2-core box serve
// thousands of plays a second. Correctness rests on three database guarantees:
//   - the conditional UPDATE of the user row serialises a user's plays and never lets the
//     balance go below zero (the CHECK on users.balance backs it up);
//   - the UNIQUE (user_id, idempotency_key) on plays makes a concurrent duplicate fail as a
//     whole, so it charges nothing, and the retry below then finds the stored response;
//   - a statement that changed nothing is followed by a fresh read, because a statement's
//     snapshot cannot see a play committed by a request it waited for.
const PLAY_SQL = `
WITH prior AS (
  SELECT response, request_hash FROM plays WHERE user_id = $1::uuid AND idempotency_key = $2::text
), upd AS (
  UPDATE users SET balance = balance - $4::bigint + $5::bigint
   WHERE id = $1::uuid AND balance >= $4::bigint AND NOT EXISTS (SELECT 1 FROM prior)
  RETURNING balance
), led AS (
  INSERT INTO ledger_entries (user_id, kind, amount, balance_after, ref_id)
  SELECT $1::uuid, $9::text, -$4::bigint, balance - $5::bigint, $3::uuid::text FROM upd
  UNION ALL
  SELECT $1::uuid, 'payout', $5::bigint, balance, $3::uuid::text FROM upd WHERE $5::bigint > 0
), ply AS (
  INSERT INTO plays (id, user_id, game, idempotency_key, request_hash, bet, payout, response)
  SELECT $3::uuid, $1::uuid, $6::text, $2::text, $7::text, $4::bigint, $5::bigint,
         $8::jsonb || jsonb_build_object('balance', balance)
    FROM upd
  RETURNING response
), evt AS (
  INSERT INTO outbox_events (event_id, user_id, action_type, payload)
  SELECT $10::uuid, $1::uuid, $11::text, $12::jsonb FROM upd
)
SELECT (SELECT response FROM ply) AS response,
       (SELECT response FROM prior) AS prior_response,
       (SELECT request_hash FROM prior) AS prior_hash,
       EXISTS (SELECT 1 FROM users WHERE id = $1::uuid) AS user_exists`;

const PRIOR_SQL = 'SELECT response, request_hash FROM plays WHERE user_id = $1 AND idempotency_key = $2';

export interface PlayRequest {
  game: GameId;
  userId: string;
  synthetic: boolean;
  idempotencyKey: string;
  requestHash: string;
  playId: string;
  /** Coins taken: the bet, or the gacha price. */
  stake: number;
  stakeKind: 'bet' | 'gacha';
  payout: number;
  /** The response body without `balance`, which the statement adds after moving the coins. */
  response: Record<string, unknown>;
  /** Extra fields for the outbox event (playId, bet and payout are always included). */
  metadata: Record<string, unknown>;
}

export interface PlayResult {
  body: Record<string, unknown>;
  replayed: boolean;
}

interface PlayRow {
  response: Record<string, unknown> | null;
  prior_response: Record<string, unknown> | null;
  prior_hash: string | null;
  user_exists: boolean;
}

function replay(req: PlayRequest, prior: { response: Record<string, unknown>; request_hash: string }): PlayResult {
  if (prior.request_hash !== req.requestHash) {
    throw new AppError('idempotency_key_mismatch', 422, 'Idempotency-Key: this key was already used for a different request; use a new key.', {
      field: 'Idempotency-Key',
    });
  }
  return { body: prior.response, replayed: true };
}

function isDuplicatePlay(err: unknown): boolean {
  const e = err as Partial<DatabaseError>;
  return e.code === '23505' && e.constraint === 'plays_user_idempotency_key';
}

/** Charges, settles and records one play, or returns the stored result of an earlier one. */
export async function executePlay(ctx: AppContext, req: PlayRequest): Promise<PlayResult> {
  const actionType: ServerActionType = `play_${req.game}`;
  const event: UserActionEvent = {
    event_id: randomUUID(),
    user_id: req.userId,
    action_type: actionType,
    action_timestamp: new Date().toISOString(),
    metadata: { game: req.game, playId: req.playId, bet: req.stake, payout: req.payout, ...req.metadata },
  };
  const values = [
    req.userId,
    req.idempotencyKey,
    req.playId,
    req.stake,
    req.payout,
    req.game,
    req.requestHash,
    JSON.stringify(req.response),
    req.stakeKind,
    event.event_id,
    actionType,
    JSON.stringify(event),
  ];

  let row: PlayRow;
  try {
    const r = await ctx.db.query<PlayRow>({ name: 'cc_games_play_v1', text: PLAY_SQL, values });
    row = r.rows[0]!;
  } catch (err) {
    if (!isDuplicatePlay(err)) throw err;
    // A concurrent request with the same key committed first; its result is the answer.
    const prior = await ctx.db.query<{ response: Record<string, unknown>; request_hash: string }>(PRIOR_SQL, [req.userId, req.idempotencyKey]);
    if (!prior.rows[0]) throw err;
    return replay(req, prior.rows[0]);
  }

  if (row.response) {
    if (!req.synthetic) {
      ctx.metrics.plays.inc({ game: req.game });
      ctx.metrics.bets.inc({ game: req.game }, req.stake);
      if (req.payout > 0) ctx.metrics.payouts.inc({ game: req.game }, req.payout);
    }
    return { body: row.response, replayed: false };
  }
  if (row.prior_response && row.prior_hash !== null) return replay(req, { response: row.prior_response, request_hash: row.prior_hash });

  // Nothing was charged. Either the balance is short, or a same-key request we waited on has
  // just committed (invisible to this statement's snapshot): a fresh read tells them apart.
  const prior = await ctx.db.query<{ response: Record<string, unknown>; request_hash: string }>(PRIOR_SQL, [req.userId, req.idempotencyKey]);
  if (prior.rows[0]) return replay(req, prior.rows[0]);
  if (!row.user_exists) throw new AppError('unauthorized', 401, 'This account no longer exists.');
  const field = req.stakeKind === 'gacha' ? 'count' : 'bet';
  throw new AppError('insufficient_funds', 409, `${field}: your balance is too low for this ${req.stake}-coin play.`, { field });
}
