import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from './ids.ts';

test('ids carry their prefix, sort by time, and do not repeat', () => {
  const early = newId('call', Date.parse('2026-01-01T00:00:00Z'));
  const late = newId('call', Date.parse('2026-06-01T00:00:00Z'));
  assert.match(early, /^call_[0-9a-hjkmnp-tv-z]{20}$/);
  assert.ok(early < late, 'a later id sorts after an earlier one');
  const many = new Set(Array.from({ length: 5000 }, () => newId('msg', 0)));
  assert.equal(many.size, 5000, 'ids made in the same millisecond still differ');
});
