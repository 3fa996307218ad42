import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GAME_CATALOG } from '../src/games/catalog.js';
import { GACHA_ITEMS, GACHA_RARITIES, GACHA_RARITY_WEIGHTS, gachaOdds, pullGacha } from '../src/games/gacha.js';
import { cryptoRandom, pickWeighted, type RandomInt } from '../src/games/random.js';
import { RPS_CHOICES, RPS_PAYS, playRps, rpsOdds } from '../src/games/rps.js';
import { SLOT_REEL, SLOT_SYMBOLS, slotLine, slotOdds, spinSlots, type SlotSymbol } from '../src/games/slots.js';

// Fair-play checks on the pure game logic: the published numbers are recomputed here from the
// raw tables, and large samples of real crypto-random plays must land near them. Tolerances
// are 5 standard errors, computed from the game's own variance, so a correct game fails with
// probability below one in a million.

const SE_TOLERANCE = 5;

describe('slots', () => {
  test('published RTP equals the expectation recomputed from the reel weights and paytable', () => {
    const total = SLOT_REEL.reduce((s, e) => s + e.weight, 0);
    const p = new Map(SLOT_REEL.map((e) => [e.value, e.weight / total]));
    let ev = 0;
    for (const a of SLOT_SYMBOLS) for (const b of SLOT_SYMBOLS) for (const c of SLOT_SYMBOLS) {
      ev += p.get(a)! * p.get(b)! * p.get(c)! * (slotLine([a, b, c])?.multiplier ?? 0);
    }
    const odds = slotOdds();
    assert.ok(Math.abs(odds.rtp - ev) < 1e-12, `${odds.rtp} vs ${ev}`);
    // The paytable as published adds up to the same RTP, and the catalog serves these numbers.
    const fromTable = odds.paytable.reduce((s, l) => s + l.multiplier * l.probability, 0);
    assert.ok(Math.abs(fromTable - ev) < 1e-12);
    assert.equal(GAME_CATALOG.find((g) => g.id === 'slots')!.rtp, odds.rtp);
    assert.ok(odds.rtp < 1, 'the house keeps an edge on slots');
    assert.ok(Math.abs(odds.reel.reduce((s, r) => s + r.probability, 0) - 1) < 1e-12);
  });

  test('the paytable pays the highest line only', () => {
    assert.equal(slotLine(['seven', 'seven', 'seven'])?.multiplier, 200);
    assert.equal(slotLine(['cherry', 'cherry', 'cherry'])?.line, 'three_cherry');
    assert.equal(slotLine(['cherry', 'bell', 'cherry'])?.line, 'two_cherry');
    assert.equal(slotLine(['lemon', 'cherry', 'bar'])?.line, 'one_cherry');
    assert.equal(slotLine(['seven', 'seven', 'bar']), null);
  });

  test('empirical RTP over 1.5M crypto-random spins is near the published RTP', () => {
    const n = 1_500_000;
    const odds = slotOdds();
    let paid = 0;
    for (let i = 0; i < n; i++) paid += spinSlots(1).payout;
    const rtp = paid / n;
    const tolerance = SE_TOLERANCE * Math.sqrt(odds.variance / n);
    assert.ok(Math.abs(rtp - odds.rtp) < tolerance, `empirical ${rtp} vs published ${odds.rtp} ± ${tolerance}`);
  });

  test('each reel lands on symbols with the published frequencies, independently of the others', () => {
    const n = 120_000;
    const counts = [new Map<SlotSymbol, number>(), new Map<SlotSymbol, number>(), new Map<SlotSymbol, number>()];
    let sevenThenSeven = 0;
    for (let i = 0; i < n; i++) {
      const { reels } = spinSlots(1);
      reels.forEach((s, r) => counts[r]!.set(s, (counts[r]!.get(s) ?? 0) + 1));
      if (reels[0] === 'seven' && reels[1] === 'seven') sevenThenSeven++;
    }
    const odds = slotOdds();
    for (const reel of counts) {
      for (const { symbol, probability } of odds.reel) {
        const se = Math.sqrt((probability * (1 - probability)) / n);
        assert.ok(Math.abs((reel.get(symbol) ?? 0) / n - probability) < SE_TOLERANCE * se, `${symbol}`);
      }
    }
    // No near-miss shaping: a seven on reel 2 after a seven on reel 1 is as likely as ever.
    const p7 = odds.reel.find((r) => r.symbol === 'seven')!.probability;
    const pp = p7 * p7;
    assert.ok(Math.abs(sevenThenSeven / n - pp) < SE_TOLERANCE * Math.sqrt((pp * (1 - pp)) / n));
  });

  test('the payout is the bet times the line multiplier', () => {
    const fixed: RandomInt = () => 0; // always the first symbol on the strip (cherry)
    assert.deepEqual(spinSlots(7, fixed), { reels: ['cherry', 'cherry', 'cherry'], line: 'three_cherry', multiplier: 8, payout: 56 });
  });
});

describe('rock-paper-scissors', () => {
  test('published RTP follows from a uniform house move and the pay table', () => {
    const odds = rpsOdds();
    const expected = (RPS_PAYS.win + RPS_PAYS.draw + RPS_PAYS.lose) / 3;
    assert.ok(Math.abs(odds.rtp - expected) < 1e-12);
    assert.deepEqual(
      odds.houseChoice.map((h) => h.probability),
      RPS_CHOICES.map(() => 1 / 3),
    );
  });

  test('the house move is uniform whatever the player picks', () => {
    const n = 60_000;
    for (const choice of RPS_CHOICES) {
      const counts = new Map<string, number>();
      let paid = 0;
      for (let i = 0; i < n; i++) {
        const o = playRps(1, choice);
        counts.set(o.houseChoice, (counts.get(o.houseChoice) ?? 0) + 1);
        paid += o.payout;
      }
      const se = Math.sqrt(((1 / 3) * (2 / 3)) / n);
      for (const house of RPS_CHOICES) {
        assert.ok(Math.abs((counts.get(house) ?? 0) / n - 1 / 3) < SE_TOLERANCE * se, `${choice} vs ${house}`);
      }
      const variance = [RPS_PAYS.win, RPS_PAYS.draw, RPS_PAYS.lose].reduce((s, m) => s + (m - rpsOdds().rtp) ** 2 / 3, 0);
      assert.ok(Math.abs(paid / n - rpsOdds().rtp) < SE_TOLERANCE * Math.sqrt(variance / n));
    }
  });
});

describe('gacha', () => {
  test('published rarity probabilities sum to 1 and match the weights', () => {
    const odds = gachaOdds();
    assert.ok(Math.abs(odds.rarities.reduce((s, r) => s + r.probability, 0) - 1) < 1e-12);
    const total = GACHA_RARITY_WEIGHTS.reduce((s, w) => s + w.weight, 0);
    for (const r of odds.rarities) assert.equal(r.probability, GACHA_RARITY_WEIGHTS.find((w) => w.value === r.rarity)!.weight / total);
    assert.equal(odds.pity, false);
  });

  test('rarity frequencies over 300k pulls match the published ones, in single and 10-pulls alike', () => {
    const odds = gachaOdds();
    for (const count of [1, 10] as const) {
      const counts = new Map<string, number>();
      let n = 0;
      while (n < 300_000) {
        for (const item of pullGacha(count).items) {
          assert.ok(GACHA_ITEMS[item.rarity].includes(item.name));
          counts.set(item.rarity, (counts.get(item.rarity) ?? 0) + 1);
          n++;
        }
      }
      for (const rarity of GACHA_RARITIES) {
        const p = odds.rarities.find((r) => r.rarity === rarity)!.probability;
        const se = Math.sqrt((p * (1 - p)) / n);
        assert.ok(Math.abs((counts.get(rarity) ?? 0) / n - p) < SE_TOLERANCE * se, `${count}-pull ${rarity}: ${(counts.get(rarity) ?? 0) / n} vs ${p}`);
      }
    }
  });
});

describe('weighted draw', () => {
  test('maps every roll to exactly one entry in proportion to its weight', () => {
    const table = [
      { value: 'a', weight: 1 },
      { value: 'b', weight: 3 },
    ];
    const seen = [0, 1, 2, 3].map((roll) => pickWeighted(table, () => roll));
    assert.deepEqual(seen, ['a', 'b', 'b', 'b']);
    assert.throws(() => pickWeighted(table, () => 4), RangeError);
    assert.ok(cryptoRandom(10) >= 0 && cryptoRandom(10) < 10);
  });
});
