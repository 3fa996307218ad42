// Token checks in constant time. Hashing first gives equal-length buffers, so neither the
// content nor the length of the configured token leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export class TokenCheck {
  private readonly digest: Buffer | undefined;

  constructor(token: string | undefined) {
    this.digest = token === undefined ? undefined : sha256(token);
  }

  matches(candidate: string | string[] | undefined): boolean {
    if (this.digest === undefined || typeof candidate !== 'string') return false;
    return timingSafeEqual(this.digest, sha256(candidate));
  }

  /** For `Authorization: Bearer <token>`. */
  matchesBearer(header: string | undefined): boolean {
    if (header === undefined || !/^Bearer /i.test(header)) return false;
    return this.matches(header.slice(7).trim());
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
