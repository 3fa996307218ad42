import { Field } from './field.js';
import { coins } from './format.js';

/** A bet within the game's published limits; the server checks them again. */
export function BetField({ value, onChange, limits }: { value: string; onChange: (v: string) => void; limits: { min: number; max: number } | null }) {
  return (
    <Field
      label="Bet (coins)"
      name="bet"
      type="number"
      inputMode="numeric"
      required
      step={1}
      min={limits?.min}
      max={limits?.max}
      hint={limits ? `From ${coins(limits.min)} to ${coins(limits.max)} coins.` : 'Loading limits…'}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

/** The typed bet as a whole number, or null when it is not one (the form then refuses). */
export function parseBet(v: string): number | null {
  return /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : null;
}

/**
 * Reads the typed bet against the published limits: the amount, or the sentence to show.
 * Both game forms use it so their messages cannot drift apart.
 */
export function checkBet(v: string, limits: { min: number; max: number } | null | undefined): { amount: number } | { error: string } {
  const amount = parseBet(v);
  if (amount === null || (limits && (amount < limits.min || amount > limits.max))) {
    return { error: limits ? `Enter a whole number of coins from ${coins(limits.min)} to ${coins(limits.max)}.` : 'Enter a whole number of coins.' };
  }
  return { amount };
}
