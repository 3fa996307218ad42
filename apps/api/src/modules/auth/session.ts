import type { PoolClient } from 'pg';
import type { AppContext } from '../../context.js';
import { issueRefreshToken } from './refresh-tokens.js';
import { claimsOf, type UserRow } from './users.js';

export interface SessionResponse {
  user: { id: string; nickname: string };
  accessToken: string;
  refreshToken: string;
}

/** Starts a new refresh-token family for the user (sign-up and login) inside the caller's transaction. */
export async function startSession(ctx: AppContext, tx: Pick<PoolClient, 'query'>, user: UserRow): Promise<SessionResponse> {
  const { token, familyId } = await issueRefreshToken(tx, { userId: user.id, ttlDays: ctx.config.REFRESH_TOKEN_TTL_DAYS });
  return sessionResponse(ctx, user, token, familyId);
}

/** The access token names its session (the refresh family), so logout can revoke it by that. */
export async function sessionResponse(ctx: AppContext, user: UserRow, refreshToken: string, familyId: string): Promise<SessionResponse> {
  return {
    user: { id: user.id, nickname: user.nickname },
    accessToken: await ctx.tokens.sign(claimsOf(user, familyId)),
    refreshToken,
  };
}
