import { z } from 'zod';

// The request shapes of the auth routes, shared with the admin CLI so a nickname or password
// the CLI accepts is exactly one the API accepts.

export const NICKNAME_RE = /^[A-Za-z0-9_]{3,20}$/;
export const PASSWORD_MIN = 10;
// argon2 accepts any length; the cap keeps a hashing request from being a cheap DoS.
export const PASSWORD_MAX = 256;

export const nicknameSchema = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(20, 'must be at most 20 characters')
  .regex(NICKNAME_RE, 'may contain only letters, digits and underscore');

export const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

// Codes are issued upper-case; people retype them, so case and surrounding spaces do not matter.
export const inviteCodeSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  // Also keeps characters PostgreSQL text refuses (NUL) from reaching the query as a 500.
  .regex(/^[A-Za-z0-9-]+$/, 'may contain only letters, digits and dashes')
  .transform((v) => v.toUpperCase());

export const refreshTokenSchema = z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters');

export const signupBody = z.object({
  inviteCode: inviteCodeSchema,
  nickname: nicknameSchema,
  password: newPasswordSchema,
});

export const loginBody = z.object({
  nickname: nicknameSchema,
  // Only the upper bound here: a password set under an older, shorter policy must still log in.
  password: z.string().min(1, 'must not be empty').max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`),
});

// Optional: browsers present the token in the httpOnly cookie instead.
export const refreshBody = z.object({ refreshToken: refreshTokenSchema.optional() });

export const passwordChangeBody = z.object({
  currentPassword: z.string().min(1, 'must not be empty').max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`),
  newPassword: newPasswordSchema,
});
