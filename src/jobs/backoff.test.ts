import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullJitterDelayMs } from './backoff.ts';

const opts = { baseMs: 500, capMs: 60_000 };
const cases: Array<{ attempt: number; random: number; expected: number }> = [
  { attempt: 1, random: 0.999999, expected: 499 },
  { attempt: 2, random: 0.5, expected: 500 },
  { attempt: 3, random: 0.5, expected: 1000 },
  { attempt: 4, random: 0, expected: 0 },
  { attempt: 20, random: 0.5, expected: 30_000 }, // capped at 60 s
  { attempt: 0, random: 0.5, expected: 250 },
];

for (const c of cases) {
  test(`attempt ${c.attempt} with random ${c.random} → ${c.expected} ms`, () => {
    assert.equal(fullJitterDelayMs(c.attempt, opts, () => c.random), c.expected);
  });
}

test('never exceeds the cap, whatever the attempt', () => {
  for (let attempt = 1; attempt < 60; attempt++) {
    assert.ok(fullJitterDelayMs(attempt, opts, () => 0.9999999) < opts.capMs);
  }
});
