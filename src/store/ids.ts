import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case
const RANDOM_CHARS = 10;

// One system call fills randomness for hundreds of ids; an id is made several times per call.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomChars(): string {
  if (offset + RANDOM_CHARS > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = '';
  for (let i = 0; i < RANDOM_CHARS; i++) out += ALPHABET[pool[offset + i]! % 32];
  offset += RANDOM_CHARS;
  return out;
}

/** A prefixed, time-sortable id such as `call_01m82g09c81y8byth2dn`: 10 time characters, 10 random. */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${time}${randomChars()}`;
}
