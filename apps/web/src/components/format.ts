const coinsFmt = new Intl.NumberFormat('en-US');
const signedFmt = new Intl.NumberFormat('en-US', { signDisplay: 'exceptZero' });

export const coins = (n: number): string => coinsFmt.format(n);
export const signedCoins = (n: number): string => signedFmt.format(n);

/** Probabilities as people read them: 33.3%, 0.46%, 0.0037%. */
export function percent(p: number): string {
  const v = p * 100;
  const digits = v >= 10 ? 1 : v >= 1 ? 2 : v >= 0.01 ? 3 : 4;
  return `${Number(v.toFixed(digits))}%`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const dateTime = (iso: string): string => timeFmt.format(new Date(iso));

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
