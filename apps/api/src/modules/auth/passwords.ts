import * as argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): strong enough for a game site and
// about 50 ms per hash on this machine, so sign-up bursts and tests stay fast.
const PARAMS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

// Verified against when the nickname is unknown, so a miss costs as long as a wrong password
// and response times do not reveal which nicknames exist.
let dummyHash: Promise<string> | null = null;

/** Unicode passwords typed on different devices can differ only in composition; NFC makes them equal. */
function normalize(password: string): string {
  return password.normalize('NFC');
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(normalize(password), PARAMS);
}

/** False for a wrong password and for a stored value that is not an argon2 hash at all. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, normalize(password));
  } catch {
    return false;
  }
}

/** Burns the same work as a real verify; always false. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= argon2.hash('dummy-password-for-timing', PARAMS);
  await verifyPassword(await dummyHash, password);
  return false;
}

/** True when a stored hash was made with weaker or older parameters and should be replaced. */
export function needsRehash(hash: string): boolean {
  try {
    return argon2.needsRehash(hash, { memoryCost: PARAMS.memoryCost, timeCost: PARAMS.timeCost, parallelism: PARAMS.parallelism });
  } catch {
    return false;
  }
}
