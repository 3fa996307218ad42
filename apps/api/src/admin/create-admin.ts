import type pg from 'pg';
import { withTransaction } from '../db/pool.js';
import { hashPassword } from '../modules/auth/passwords.js';
import { insertUser, type UserRow } from '../modules/auth/users.js';

/**
 * Creates a new user with the admin role. An existing nickname is refused (409 nickname_taken)
 * rather than promoted: promoting would hand admin rights to whoever owns that account.
 * Admins get no sign-up bonus and emit no sign-up action; they did not sign up.
 */
export async function createAdmin(db: pg.Pool, input: { nickname: string; password: string }): Promise<UserRow> {
  const passwordHash = await hashPassword(input.password);
  return withTransaction(db, (tx) => insertUser(tx, { nickname: input.nickname, passwordHash, role: 'admin' }));
}
