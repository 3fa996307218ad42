import type { GatesConfig } from '../config/gates-schema.js';
import { check, fromChecks, type Gate } from './types.js';

// Deployment windows are wall-clock times in a named time zone (Intl does the conversion, so
// daylight-saving changes need no code). Outside every window the gate fails unless the
// deployer gives --outside-window with a reason, which is kept as evidence.

type Window = GatesConfig['windows'][number];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** The weekday and minutes since midnight of `at` in a time zone. */
export function localTime(at: Date, timeZone: string): { day: (typeof DAYS)[number]; minutes: number; text: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as (typeof DAYS)[number];
  const hour = Number(get('hour'));
  const minute = Number(get('minute'));
  return { day, minutes: hour * 60 + minute, text: `${get('weekday')} ${get('hour')}:${get('minute')} ${timeZone}` };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `at` falls in the window; a window whose end is before its start runs past midnight. */
export function inWindow(w: Window, at: Date): boolean {
  const { day, minutes } = localTime(at, w.timezone);
  const start = toMinutes(w.start);
  const end = toMinutes(w.end);
  if (start <= end) return w.days.includes(day) && minutes >= start && minutes < end;
  const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7]!;
  return (w.days.includes(day) && minutes >= start) || (w.days.includes(yesterday) && minutes < end);
}

export const describeWindow = (w: Window) => `${w.days.join(',')} ${w.start}-${w.end} ${w.timezone}`;

export const windowGate: Gate = async (input) => {
  const windows = input.gates.windows;
  const at = input.now();
  if (!windows.length) return fromChecks([check('window', 'cannot-check', 'no deployment windows are configured (gates.windows)')]);
  const inside = windows.find((w) => inWindow(w, at));
  const evidence = { at: at.toISOString(), windows: windows.map(describeWindow), local: windows.map((w) => localTime(at, w.timezone).text) };
  if (inside) return fromChecks([check('window', 'pass', `${localTime(at, inside.timezone).text} is inside ${describeWindow(inside)}`, { ...evidence, window: describeWindow(inside) })]);
  const reason = input.outsideWindow?.trim();
  if (reason) {
    return fromChecks([check('window', 'pass', `outside every window, deployed anyway: "${reason}"`, { ...evidence, outsideWindow: reason })]);
  }
  return fromChecks([check('window', 'fail', `${evidence.local[0]} is outside every deployment window (${evidence.windows.join('; ')}); give --outside-window "<reason>" to deploy anyway`, evidence)]);
};
