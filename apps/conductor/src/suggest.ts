// "Did you mean …?" for unknown values: the nearest valid one by edit distance, compared without
// case and punctuation, so `bluegreen` and Argo's `blueGreen` both find `blue-green`.

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The valid value closest to `input`, or null when none is close (more than a third of it differs). */
export function nearest(input: string, valid: Iterable<string>): string | null {
  const want = norm(input);
  let best: { value: string; distance: number } | null = null;
  for (const value of valid) {
    const distance = editDistance(want, norm(value));
    if (!best || distance < best.distance) best = { value, distance };
  }
  if (!best || !want) return null;
  return best.distance <= Math.max(1, Math.floor(want.length / 3)) ? best.value : null;
}

/** "unknown strategy "bluegreen": did you mean blue-green? (valid: blue-green, canary, rolling)". */
export function unknownValue(what: string, input: string, valid: readonly string[]): string {
  const guess = nearest(input, valid);
  return `unknown ${what} "${input}"${guess ? `: did you mean ${guess}?` : ''} (valid: ${valid.join(', ')})`;
}
