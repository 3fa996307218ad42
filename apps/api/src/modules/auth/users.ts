import type { PoolClient } from 'pg';
import type { TokenSubject } from '../../auth/access-token.js';
import { AppError } from '../../errors.js';

type Queryable = Pick<PoolClient, 'query'>;

export interface UserRow {
  id: string;
  nickname: string;
  role: 'player' | 'admin';
  synthetic: boolean;
}

export function claimsOf(user: UserRow, sid: string): TokenSubject {
  return { sub: user.id, nickname: user.nickname, role: user.role, synthetic: user.synthetic, sid };
}

function isNicknameConflict(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'users_nickname_lower_key';
}

/** Inserts a user; a nickname taken in any letter case becomes 409 nickname_taken. */
export async function insertUser(
  tx: Queryable,
  user: { nickname: string; passwordHash: string; role?: 'player' | 'admin'; synthetic?: boolean },
): Promise<UserRow> {
  try {
    const r = await tx.query<UserRow>(
      `INSERT INTO users (nickname, password_hash, role, synthetic) VALUES ($1, $2, $3, $4)
       RETURNING id, nickname, role, synthetic`,
      [user.nickname, user.passwordHash, user.role ?? 'player', user.synthetic ?? false],
    );
    return r.rows[0]!;
  } catch (err) {
    if (isNicknameConflict(err)) {
      throw new AppError('nickname_taken', 409, 'That nickname is taken; choose another.', { field: 'nickname', cause: err });
    }
    throw err;
  }
}

export async function findUserForLogin(db: Queryable, nickname: string): Promise<(UserRow & { passwordHash: string }) | null> {
  const r = await db.query<UserRow & { passwordHash: string }>(
    'SELECT id, nickname, role, synthetic, password_hash AS "passwordHash" FROM users WHERE lower(nickname) = lower($1)',
    [nickname],
  );
  return r.rows[0] ?? null;
}
