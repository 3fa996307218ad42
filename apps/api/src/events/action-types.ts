// The one list of action types that reach topic_user_actions. Consumers trust an event's
// action_type, so the two sets must never overlap: only the server may emit its own types.

/** Emitted by the server in the transaction that made the change (signup, plays, rewards...). */
export const SERVER_ACTION_TYPES = ['signup', 'login', 'logout', 'play_slots', 'play_rps', 'play_gacha', 'daily_reward'] as const;

/**
 * What a client may report through POST /api/actions: UI interactions that change nothing on
 * the server. Dotted names keep them visibly apart from the server's snake_case types.
 */
export const CLIENT_ACTION_TYPES = ['page.view', 'button.click', 'link.click', 'form.submit'] as const;

export type ServerActionType = (typeof SERVER_ACTION_TYPES)[number];
export type ClientActionType = (typeof CLIENT_ACTION_TYPES)[number];
export type ActionType = ServerActionType | ClientActionType;
