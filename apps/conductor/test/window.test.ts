import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inWindow, localTime, windowGate } from '../src/gates/window.js';
import { judge } from '../src/gates/record.js';
import { runGate } from '../src/gates/index.js';
import { gateInput } from './fixtures/gates/gate-input.js';

// The deployment-window gate with an injected clock. Berlin is UTC+1 in winter and UTC+2 in
// summer, New York UTC-5/-4: the same UTC instant lands in or out of a window by zone and date.

const weekdays = { days: ['mon', 'tue', 'wed', 'thu'], start: '09:00', end: '16:00', timezone: 'Europe/Berlin' } as const;

describe('deployment window', () => {
  test('wall-clock time in the window\'s zone, daylight saving included', () => {
    // Tue 2026-11-24 08:30 UTC = 09:30 CET (inside); Tue 2026-07-14 07:30 UTC = 09:30 CEST (inside)
    assert.equal(localTime(new Date('2026-11-24T08:30:00Z'), 'Europe/Berlin').minutes, 9 * 60 + 30);
    assert.equal(inWindow({ ...weekdays, days: [...weekdays.days] }, new Date('2026-11-24T08:30:00Z')), true);
    assert.equal(inWindow({ ...weekdays, days: [...weekdays.days] }, new Date('2026-07-14T07:30:00Z')), true);
    // 07:30 UTC in November is 08:30 Berlin: before the window opens
    assert.equal(inWindow({ ...weekdays, days: [...weekdays.days] }, new Date('2026-11-24T07:30:00Z')), false);
    // Friday is not a deploy day
    assert.equal(inWindow({ ...weekdays, days: [...weekdays.days] }, new Date('2026-11-27T10:00:00Z')), false);
    // the end is exclusive: 16:00 Berlin is outside
    assert.equal(inWindow({ ...weekdays, days: [...weekdays.days] }, new Date('2026-11-24T15:00:00Z')), false);
  });

  test('a window past midnight belongs to the day it starts', () => {
    const night = { days: ['sat' as const], start: '22:00', end: '02:00', timezone: 'America/New_York' };
    // Sat 23:00 New York (Sun 04:00 UTC) and Sun 01:30 New York are inside; Sun 23:00 is not
    assert.equal(inWindow(night, new Date('2026-11-29T04:00:00Z')), true);
    assert.equal(inWindow(night, new Date('2026-11-29T06:30:00Z')), true);
    assert.equal(inWindow(night, new Date('2026-11-30T04:00:00Z')), false);
  });

  test('inside a window the gate passes and names the window', async () => {
    const out = await runGate('window', gateInput({ gates: { windows: [weekdays] }, now: new Date('2026-11-24T10:00:00Z') }));
    assert.equal(out.result, 'pass');
    assert.match(out.summary, /Tue 11:00 Europe\/Berlin is inside mon,tue,wed,thu 09:00-16:00/);
  });

  test('outside every window the gate fails; --outside-window with a reason lets it through, recorded', async () => {
    const friday = new Date('2026-11-27T10:00:00Z');
    const out = await windowGate(gateInput({ gates: { windows: [weekdays] }, now: friday }));
    assert.equal(out.result, 'fail');
    assert.match(out.summary, /Fri 11:00 Europe\/Berlin is outside every deployment window.*--outside-window/);
    const forced = await windowGate(gateInput({ gates: { windows: [weekdays] }, now: friday, outsideWindow: 'payment provider outage fix' }));
    assert.equal(forced.result, 'pass');
    assert.equal(forced.checks[0]!.evidence!['outsideWindow'], 'payment provider outage fix');
  });

  test('no windows configured: cannot check, which blocks unless accepted', async () => {
    const input = gateInput({ now: new Date('2026-11-24T10:00:00Z') });
    const out = await runGate('window', input);
    assert.equal(out.result, 'cannot-check');
    assert.equal(judge(out, input.env).blocks, true);
    const accepting = gateInput({ acceptCannotCheck: [{ gate: 'window', reason: 'staging deploys at any time' }] });
    const v = judge(out, accepting.env);
    assert.equal(v.blocks, false);
    assert.deepEqual(v.acceptance, { reason: 'staging deploys at any time' });
  });

  test('an unknown time zone, a malformed time or a broken hotfix pattern is a configuration error', () => {
    assert.throws(() => gateInput({ gates: { windows: [{ ...weekdays, timezone: 'Mars/Olympus' }] } }), /IANA time zone/);
    assert.throws(() => gateInput({ gates: { windows: [{ ...weekdays, start: '9:00' }] } }), /HH:MM/);
    assert.throws(() => gateInput({ gates: { hotfixTagPattern: 'hotfix-([' } }), /must be a regular expression/);
  });
});
