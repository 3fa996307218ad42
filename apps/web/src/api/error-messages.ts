import { ApiError } from './errors.js';

// Every error code the API can send, in words a player understands. Codes we do not know yet
// still get a sentence (never the raw JSON), so a new server code degrades gracefully.
const MESSAGES: Record<string, string> = {
  invalid_credentials: 'That nickname and password do not match. Check them and try again.',
  invalid_invite: 'That invite code is not valid. It may be mistyped, already used or expired.',
  nickname_taken: 'That nickname is already taken. Please choose another one.',
  insufficient_funds: 'You do not have enough coins for that. Lower the bet or claim your daily reward.',
  already_claimed: 'You have already claimed today’s reward. Come back tomorrow to keep your streak.',
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  idempotency_key_required: 'The game could not be started. Please try again.',
  idempotency_key_mismatch: 'That play was already sent with different details. Please try again.',
  token_expired: 'Your session has expired. Please log in again.',
  token_reused: 'Your session was ended for your safety. Please log in again.',
  session_ended: 'Your session has ended. Please log in again.',
  unauthorized: 'You need to log in to do that.',
  forbidden: 'You are not allowed to do that.',
  not_found: 'We could not find what you asked for.',
  payload_too_large: 'That request is too large.',
  conflict: 'That could not be done right now because something changed. Please try again.',
  unavailable: 'The game service is busy or under maintenance. Please try again shortly.',
  internal: 'Something went wrong on our side. Please try again.',
  network: 'We could not reach the server. Check your connection and try again.',
};

const FIELD_NAMES: Record<string, string> = {
  inviteCode: 'invite code',
  nickname: 'nickname',
  password: 'password',
  bet: 'bet',
  choice: 'choice',
  count: 'number of pulls',
  period: 'period',
};

function waitWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

export const FALLBACK_MESSAGE = 'That did not work. Please try again.';

/** Plain words for any error thrown by the API client. */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return MESSAGES['internal']!;
  if (err.code === 'rate_limited' && err.retryAfter !== undefined) {
    return `Too many attempts. Please wait ${waitWords(err.retryAfter)} and try again.`;
  }
  if (err.code === 'validation_failed' || err.code === 'bad_request') {
    const key = err.field?.split('.')[0];
    const field = key ? FIELD_NAMES[key] : undefined;
    if (!field) return 'Some of what you entered is not valid. Please check it.';
    // The API words its reason for people ("nickname: must be at least 3 characters").
    const reason = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field!.length + 2).trim() : '';
    return reason && !/[{}"<>]/.test(reason) ? `Please check the ${field}: it ${reason}.` : `Please check the ${field}: it is not valid.`;
  }
  const known = MESSAGES[err.code];
  if (known) return known;
  if (err.status >= 500) return MESSAGES['internal']!;
  return FALLBACK_MESSAGE;
}
