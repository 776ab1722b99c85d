// Fills a freshly migrated Ringback data dir with realistic data (src/store/bulk-seed.ts), as its
// own process so the benchmark's process stays small. Run by bench/run.ts after
// `ringback migrate`; can be run by hand:
//
//   RINGBACK_DATA_DIR=/tmp/rb node src/cli.ts migrate
//   node bench/seed.ts --dir /tmp/rb --messages 1000000 --secret-key <base64 32 bytes>
//
// Prints progress on stderr and one JSON line (the BulkSeedResult) on stdout.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeSecretKey } from '../src/config.ts';
import { DEFAULT_BUSINESS_HOURS, SCHEDULE_SLOTS } from '../src/domain/schedule.ts';
import { DEFAULT_TEXT_BACK_TEMPLATES, measureText } from '../src/domain/templates.ts';
import { hashPassword } from '../src/services/access.ts';
import { encryptCredentials } from '../src/services/credentials.ts';
import { bulkSeed, type SeedTemplate } from '../src/store/bulk-seed.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    messages: { type: 'string' },
    accounts: { type: 'string', default: '200' },
    'secret-key': { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
if (!values.dir || !values.messages || !values['secret-key']) {
  process.stderr.write('usage: node bench/seed.ts --dir DATA_DIR --messages N --secret-key KEY [--accounts 200] [--seed 1]\n');
  process.exit(2);
}
const key = decodeSecretKey(values['secret-key']);
if (!key) {
  process.stderr.write('--secret-key must be 32 bytes (base64 or 64 hex digits)\n');
  process.exit(2);
}

const templates: SeedTemplate[] = SCHEDULE_SLOTS.map((slot) => {
  const body = DEFAULT_TEXT_BACK_TEMPLATES[slot];
  const m = measureText(body);
  return { slot, body, encoding: m.encoding, segments: m.segments };
});

const result = bulkSeed({
  file: path.join(values.dir, 'ringback.db'),
  messages: Number(values.messages),
  accounts: Number(values.accounts),
  seed: Number(values.seed),
  // The seeded accounts' own Twilio connections: never called during the benchmark.
  carrierCredentials: encryptCredentials(key, { accountSid: `AC${'5eed'.repeat(8)}`, authToken: '5eed'.repeat(8) }),
  templates,
  businessHours: JSON.stringify(DEFAULT_BUSINESS_HOURS),
  passwordHash: hashPassword('seeded-user-password'),
  onProgress: ({ messages, elapsedMs }) =>
    process.stderr.write(`  seeded ${(messages / 1e6).toFixed(2)}M messages in ${(elapsedMs / 1000).toFixed(0)} s\n`),
});
process.stdout.write(JSON.stringify(result) + '\n');
