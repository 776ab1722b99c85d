import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature.ts';

const secret = 'whsec_test_0123456789abcdef';
const body = '{"id":"evt_1","type":"message.received","data":{"body":"hi"}}';
const t = 1_780_000_000;

test('the header is Stripe-shaped: t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  assert.equal(signWebhook(secret, body, t), `t=${t},v1=${expected}`);
  assert.equal(signWebhook(secret, body, t + 0.9), `t=${t},v1=${expected}`, 'whole seconds');
});

test('verification: what passes and what fails, with the reason', () => {
  const good = signWebhook(secret, body, t);
  const cases: Array<{ name: string; secret?: string; body?: string; header: string | undefined; now?: number; ok: boolean; reason?: RegExp }> = [
    { name: 'as signed', header: good, ok: true },
    { name: 'signed 299 s ago', header: good, now: t + 299, ok: true },
    { name: 'signed 300 s ago (the edge)', header: good, now: t + 300, ok: true },
    { name: 'signed 301 s ago: too old', header: good, now: t + 301, ok: false, reason: /tolerance 300 s/ },
    { name: 'timestamp in the future', header: good, now: t - 301, ok: false, reason: /tolerance/ },
    { name: 'tampered body', body: body.replace('hi', 'ho'), header: good, ok: false, reason: /no signature matches/ },
    { name: 'body re-serialised (whitespace)', body: JSON.stringify(JSON.parse(body), null, 1), header: good, ok: false, reason: /no signature matches/ },
    { name: 'wrong secret', secret: 'whsec_other', header: good, ok: false, reason: /no signature matches/ },
    { name: 'timestamp changed, signature kept', header: good.replace(`t=${t}`, `t=${t + 10}`), ok: false, reason: /no signature matches/ },
    { name: 'no header', header: undefined, ok: false, reason: /no ringback-signature header/ },
    { name: 'no timestamp', header: good.split(',')[1], ok: false, reason: /no t= timestamp/ },
    { name: 'no signature', header: `t=${t}`, ok: false, reason: /no v1= signature/ },
    { name: 'short signature', header: `t=${t},v1=abcd`, ok: false, reason: /no v1= signature/ },
    { name: 'one of several v1 values matches (rotation)', header: `t=${t},v1=${'0'.repeat(64)},${good.split(',')[1]}`, ok: true },
    { name: 'upper-case hex and spaces', header: `t=${t}, v1=${good.split('v1=')[1]!.toUpperCase()}`, ok: true },
  ];
  for (const c of cases) {
    const got = verifyWebhook(c.secret ?? secret, c.body ?? body, c.header, c.now ?? t);
    assert.equal(got.ok, c.ok, c.name);
    if (!got.ok && c.reason) assert.match(got.reason, c.reason, c.name);
  }
});
