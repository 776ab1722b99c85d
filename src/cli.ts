#!/usr/bin/env node
// The `ringback` command line. `start` runs the server; `migrate` and `api-keys` work on the
// database directly; `simulate` drives a running server through its API.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { normalizePhone } from './domain/phone.ts';
import { createLogger, createRingback, createRunner, openStore } from './main.ts';
import { findFirstOwner } from './store/accounts-repository.ts';
import { generateApiKey, storeApiKey } from './services/access.ts';
import * as accounts from './store/accounts-repository.ts';
import { cliKeyFile } from './services/bootstrap.ts';

const USAGE = `Usage: ringback <command> [options]

Commands:
  start [--role all|web|worker]  run Ringback (HTTP server, jobs, simulator). With PostgreSQL
                                 (DATABASE_URL) run any number of web and worker processes;
                                 SQLite runs one process with --role all (the default)
  migrate                        apply database migrations and exit
  simulate call --from N [--to LINE] [--outcome unanswered|busy|answered|hangup] [--after S] [--wait S]
                                 a virtual phone calls a line; waits up to --wait seconds (default 3)
                                 for the text-back and prints it. --after sets how long the call
                                 lasted (the simulator reports it at once rather than making you wait)
  simulate text --from N [--to LINE] --body TEXT
                                 a virtual phone texts a line
  simulate inbox --phone N       what a virtual phone has received
  api-keys create [--name NAME]  create an API key for the owner (printed once)
  api-keys list                  list API keys
  api-keys revoke ID             revoke an API key (by id or prefix)
  carriers add --kind twilio --account-sid AC… --auth-token …
  carriers add --kind telnyx --telnyx-api-key KEY… --public-key … [--texml-app ID] [--messaging-profile ID]
                                 add a carrier connection (checked with the carrier first)
  carriers list | check ID | delete ID
  lines add --number N --mode forward|conditional-forward|events [--carrier ID] [--ring N,N]
            [--ring-seconds S] [--no-screening] [--greeting TEXT] [--voicemail] [--no-configure]
                                 add a line; Ringback points the number at itself at the carrier
  lines list | configure ID      list lines; point a line's number at Ringback again

Options:
  --json                         print data as JSON
  --url URL                      server for 'simulate' (default http://127.0.0.1:$RINGBACK_PORT)
  --api-key KEY                  API key for 'simulate' (default: the local CLI key in the data dir)
  -h, --help                     show this help

Configuration comes from RINGBACK_* environment variables; see the README.`;

class UsageError extends Error {}

/** +15555550100 → "+1 555-555-0100"; other numbers as they are. */
function formatNanp(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `+1 ${m[1]}-${m[2]}-${m[3]}` : e164;
}

function print(json: boolean, data: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : text + '\n');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      url: { type: 'string' },
      'api-key': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      outcome: { type: 'string' },
      after: { type: 'string' },
      body: { type: 'string' },
      phone: { type: 'string' },
      name: { type: 'string' },
      wait: { type: 'string' },
      kind: { type: 'string' },
      'account-sid': { type: 'string' },
      'auth-token': { type: 'string' },
      'telnyx-api-key': { type: 'string' },
      'public-key': { type: 'string' },
      'texml-app': { type: 'string' },
      'messaging-profile': { type: 'string' },
      'api-base-url': { type: 'string' },
      number: { type: 'string' },
      carrier: { type: 'string' },
      mode: { type: 'string' },
      ring: { type: 'string' },
      'ring-seconds': { type: 'string' },
      'no-screening': { type: 'boolean', default: false },
      greeting: { type: 'string' },
      voicemail: { type: 'boolean', default: false },
      'no-configure': { type: 'boolean', default: false },
      role: { type: 'string' },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 2;
  }
  // --role is the same setting as RINGBACK_ROLE, validated by the one config schema.
  const config = loadConfig(values.role !== undefined ? { ...process.env, RINGBACK_ROLE: values.role } : process.env);
  switch (command) {
    case 'start':
      return start(config);
    case 'migrate':
      return migrate(config, values.json);
    case 'simulate':
      return simulate(config, sub, values);
    case 'api-keys':
      return apiKeys(config, sub, arg ?? undefined, values);
    case 'carriers':
      return carriers(config, sub, arg ?? undefined, values);
    case 'lines':
      return lines(config, sub, arg ?? undefined, values);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function start(config: Config): Promise<number> {
  const logger = createLogger(config);
  const ringback = createRingback(config, { logger });
  const boot = await ringback.start();
  const shown = config.publicUrl ?? boot.url.replace('127.0.0.1', 'localhost');
  const lines = [
    '',
    `  Ringback is running at ${shown}   (data in ${config.dataDir})`,
    '',
    ...(boot.welcomeToken
      ? [`  Open ${shown}/welcome?token=${boot.welcomeToken} to sign in and set your password   (works once, for 24 hours)`, '']
      : []),
    boot.generatedPassword
      ? `  Owner sign-in: ${boot.owner.email} / ${boot.generatedPassword}   (shown once; set RINGBACK_ADMIN_PASSWORD to choose it)`
      : `  Owner sign-in: ${boot.owner.email}${boot.created ? ' with RINGBACK_ADMIN_PASSWORD' : ' (password set on first start, or RINGBACK_ADMIN_PASSWORD)'}`,
    boot.generatedApiKey
      ? `  API key: ${boot.generatedApiKey}   (shown once; more with: npx ringback api-keys create)`
      : `  API keys: npx ringback api-keys list | create`,
  ];
  if (boot.demoLine) {
    lines.push(
      '',
      `  Demo line ${formatNanp(boot.demoLine)} runs on the built-in phone simulator. Try it:`,
      '    1. A caller rings the demo line and nobody answers:',
      '         npx ringback simulate call --from +15555550123 --outcome unanswered',
      '    2. The text-back arrives on the caller\'s virtual phone (the command above prints it), or:',
      '         npx ringback simulate inbox --phone +15555550123',
      '    Over HTTP: POST /api/v1/simulator/calls {"from":"+15555550123","to":"+15555550100","outcome":"unanswered"}',
      '               GET  /api/v1/simulator/phones/+15555550123/messages      (Authorization: Bearer <API key>)',
    );
  }
  process.stdout.write(lines.join('\n') + '\n\n');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'draining: no new requests or jobs; finishing those in flight');
    // Past the timeout, exit anyway: jobs still held are released by the other workers' sweep,
    // and every job is idempotent, so a job cut short runs again rather than getting lost.
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'drain timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    ringback.stop().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return new Promise<number>(() => {});
}

async function migrate(config: Config, json: boolean): Promise<number> {
  const store = openStore(config);
  try {
    const applied = await store.migrate();
    // The job queue's own schema (graphile-worker's on Postgres) comes with it, so a release step
    // that runs `migrate` leaves nothing for the processes to do at start.
    await createRunner(config, store, createLogger(config), () => new Date()).prepare();
    print(json, { applied }, applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
    return 0;
  } finally {
    await store.close();
  }
}

interface SimulateOptions {
  json: boolean;
  url?: string | undefined;
  'api-key'?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  outcome?: string | undefined;
  after?: string | undefined;
  body?: string | undefined;
  phone?: string | undefined;
  wait?: string | undefined;
}

type ApiCall = (method: string, path: string, body?: unknown) => Promise<Record<string, any>>;

/** Talks to the running server with the local CLI key (or --url / --api-key). */
function apiClient(config: Config, o: { url?: string | undefined; 'api-key'?: string | undefined }): ApiCall {
  const base = (o.url ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
  const key = o['api-key'] ?? readCliKey(config);
  return async (method, path, body) => {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new UsageError(`cannot reach Ringback at ${base}; is it running (npm start)?`);
    }
    const text = await res.text();
    const data = (text ? JSON.parse(text) : {}) as Record<string, any>;
    if (!res.ok) {
      const fields = (data?.error?.fields as Array<{ field: string; message: string }> | undefined) ?? [];
      const detail = fields.length > 1 ? `\n${fields.map((f) => `  - ${f.field} ${f.message}`).join('\n')}` : '';
      throw new UsageError(`${res.status}: ${data?.error?.message ?? JSON.stringify(data)}${detail}`);
    }
    return data;
  };
}

async function simulate(config: Config, sub: string | undefined, o: SimulateOptions): Promise<number> {
  const call = apiClient(config, o);
  const defaultLine = async () => {
    const { lines } = await call('GET', '/api/v1/lines');
    const simulated = (lines as Array<{ number: string; carrierKind: string }>).find((l) => l.carrierKind === 'simulator');
    if (!simulated) throw new UsageError('no line runs on the simulator; pass --to');
    return simulated.number;
  };
  const inbox = async (phone: string) =>
    (await call('GET', `/api/v1/simulator/phones/${encodeURIComponent(phone)}/messages`)).messages as Array<{ from: string; body: string; receivedAt: string }>;

  const phoneOption = (name: string, value: string) => {
    const phone = normalizePhone(value);
    if (!phone.ok) throw new UsageError(`--${name} ${phone.reason}`);
    return phone.e164;
  };

  if (sub === 'call') {
    if (!o.from) throw new UsageError('simulate call needs --from');
    o.from = phoneOption('from', o.from);
    const to = o.to ?? (await defaultLine());
    const before = (await inbox(o.from)).length;
    const placedAt = Date.now();
    const placed = await call('POST', '/api/v1/simulator/calls', {
      from: o.from,
      to,
      outcome: o.outcome ?? 'unanswered',
      ...(o.after !== undefined ? { afterSeconds: Number(o.after) } : {}),
    });
    const waitMs = Number(o.wait ?? '3') * 1000;
    let received: Array<{ from: string; body: string; receivedAt: string }> = [];
    while (Date.now() - placedAt < waitMs) {
      received = (await inbox(o.from)).slice(before);
      if (received.length > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const { calls } = await call('GET', '/api/v1/calls?limit=5');
    const recorded = (calls as Array<{ from: string; decision: { action: string; explanation: string } | null }>).find((c) => c.from === o.from);
    const text = received.length
      ? `call ${placed.id}: ${o.from} → ${to} (${placed.outcome})\ntext received ${new Date(received[0]!.receivedAt).getTime() - placedAt} ms after the call was placed:\n  "${received[0]!.body}"`
      : `call ${placed.id}: ${o.from} → ${to} (${placed.outcome})\nno text arrived within ${waitMs / 1000} s. ${recorded?.decision?.explanation ?? ''}`;
    print(o.json, { call: placed, decision: recorded?.decision ?? null, received }, text);
    return 0;
  }
  if (sub === 'text') {
    if (!o.from || o.body === undefined) throw new UsageError('simulate text needs --from and --body');
    o.from = phoneOption('from', o.from);
    const to = o.to ?? (await defaultLine());
    const sent = await call('POST', '/api/v1/simulator/messages', { from: o.from, to, body: o.body });
    print(o.json, sent, `text ${sent.id}: ${o.from} → ${to}`);
    return 0;
  }
  if (sub === 'inbox') {
    if (!o.phone) throw new UsageError('simulate inbox needs --phone');
    o.phone = phoneOption('phone', o.phone);
    const messages = await inbox(o.phone);
    print(
      o.json,
      { phone: o.phone, messages },
      messages.length ? messages.map((m) => `${m.receivedAt}  from ${m.from}: ${m.body}`).join('\n') : `${o.phone} has received no texts`,
    );
    return 0;
  }
  throw new UsageError('simulate needs one of: call, text, inbox');
}

type Options = Record<string, string | boolean | undefined> & { json: boolean };

async function carriers(config: Config, sub: string | undefined, arg: string | undefined, o: Options): Promise<number> {
  const call = apiClient(config, o as SimulateOptions);
  const str = (name: string) => (typeof o[name] === 'string' ? (o[name] as string) : undefined);
  if (sub === 'add') {
    const kind = str('kind');
    if (kind !== 'twilio' && kind !== 'telnyx') throw new UsageError('carriers add needs --kind twilio or --kind telnyx');
    const body: Record<string, unknown> =
      kind === 'twilio'
        ? { kind, accountSid: str('account-sid'), authToken: str('auth-token') }
        : { kind, apiKey: str('telnyx-api-key'), publicKey: str('public-key'), texmlApplicationId: str('texml-app'), messagingProfileId: str('messaging-profile') };
    if (str('name')) body.name = str('name');
    if (str('api-base-url')) body.apiBaseUrl = str('api-base-url');
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    const { carrier } = await call('POST', '/api/v1/carriers', body);
    print(o.json, { carrier }, `added ${carrier.kind} connection ${carrier.id} (${carrier.name})`);
    return 0;
  }
  if (sub === 'list') {
    const { carriers: list } = await call('GET', '/api/v1/carriers');
    print(o.json, { carriers: list }, (list as any[]).map((c) => `${c.id}  ${c.kind}  ${c.name}`).join('\n'));
    return 0;
  }
  if (sub === 'check') {
    if (!arg) throw new UsageError('carriers check needs the connection id (see carriers list)');
    const { check } = await call('POST', `/api/v1/carriers/${encodeURIComponent(arg)}/check`);
    const lines = [
      check.ok ? 'everything is in order' : 'problems found:',
      ...(check.problems as string[]).map((p) => `  - ${p}`),
      ...(check.lines as any[]).map((l) => `${l.number}: ${l.ok ? 'ok' : (l.problems as string[]).join('; ')}`),
    ];
    print(o.json, { check }, lines.join('\n'));
    return check.ok ? 0 : 1;
  }
  if (sub === 'delete') {
    if (!arg) throw new UsageError('carriers delete needs the connection id');
    await call('DELETE', `/api/v1/carriers/${encodeURIComponent(arg)}`);
    print(o.json, { deleted: arg }, `deleted ${arg}`);
    return 0;
  }
  throw new UsageError('carriers needs one of: add, list, check, delete');
}

async function lines(config: Config, sub: string | undefined, arg: string | undefined, o: Options): Promise<number> {
  const call = apiClient(config, o as SimulateOptions);
  const str = (name: string) => (typeof o[name] === 'string' ? (o[name] as string) : undefined);
  if (sub === 'add') {
    if (!str('number') || !str('mode')) throw new UsageError('lines add needs --number and --mode forward|conditional-forward|events');
    const body: Record<string, unknown> = { number: str('number'), mode: str('mode') };
    if (str('carrier')) body.carrierId = str('carrier');
    if (str('name')) body.name = str('name');
    if (str('ring')) body.ringTargets = str('ring')!.split(',').map((s) => s.trim());
    if (str('ring-seconds')) body.ringSeconds = Number(str('ring-seconds'));
    if (o['no-screening']) body.screening = false;
    if (str('greeting')) body.greeting = str('greeting');
    if (o.voicemail) body.voicemail = true;
    if (o['no-configure']) body.configureCarrier = false;
    const { line, carrierSetup } = await call('POST', '/api/v1/lines', body);
    const setup = carrierSetup.configured ? `pointed at Ringback at ${line.carrierKind}` : `not configured at the carrier: ${carrierSetup.note}`;
    print(o.json, { line, carrierSetup }, `added line ${line.number} (${line.id}), ${line.mode} mode; ${setup}`);
    return 0;
  }
  if (sub === 'list') {
    const { lines: list } = await call('GET', '/api/v1/lines');
    print(o.json, { lines: list }, (list as any[]).map((l) => `${l.id}  ${l.number}  ${l.mode}  ${l.carrierKind}${l.paused ? '  PAUSED' : ''}`).join('\n'));
    return 0;
  }
  if (sub === 'configure') {
    if (!arg) throw new UsageError('lines configure needs the line id or number');
    const { carrierSetup } = await call('POST', `/api/v1/lines/${encodeURIComponent(arg)}/configure-carrier`);
    print(o.json, { carrierSetup }, carrierSetup.configured ? 'pointed at Ringback' : carrierSetup.note);
    return 0;
  }
  throw new UsageError('lines needs one of: add, list, configure');
}

function readCliKey(config: Config): string {
  const file = cliKeyFile(config.dataDir);
  if (!existsSync(file)) throw new UsageError(`no CLI key at ${file}; start Ringback once, or pass --api-key`);
  return readFileSync(file, 'utf8').trim();
}

async function apiKeys(config: Config, sub: string | undefined, arg: string | undefined, o: { json: boolean; name?: string | undefined }): Promise<number> {
  const store = openStore(config);
  try {
    await store.migrate();
    const owner = await findFirstOwner(store.db);
    if (!owner) throw new UsageError('there is no account yet; run `npm start` once first');
    const now = new Date().toISOString();
    if (sub === 'create') {
      const key = generateApiKey();
      const view = await storeApiKey(store.db, owner, o.name ?? 'created with the CLI', key, now);
      print(o.json, { apiKey: view, key }, `${key}\n(shown once; id ${view.id})`);
      return 0;
    }
    if (sub === 'list') {
      const keys = await accounts.listApiKeys(store.db, owner.accountId);
      const rows = keys.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, createdAt: k.created_at, lastUsedAt: k.last_used_at, revokedAt: k.revoked_at }));
      print(
        o.json,
        { apiKeys: rows },
        rows.map((k) => `${k.id}  ${k.prefix}…  ${k.name}  created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}`).join('\n'),
      );
      return 0;
    }
    if (sub === 'revoke') {
      if (!arg) throw new UsageError('api-keys revoke needs the key id (see api-keys list)');
      const keys = await accounts.listApiKeys(store.db, owner.accountId);
      const key = keys.find((k) => k.id === arg || k.prefix === arg);
      if (!key) throw new UsageError(`no API key ${arg}`);
      if (!(await accounts.revokeApiKey(store.db, owner.accountId, key.id, now))) throw new UsageError(`API key ${key.id} was already revoked`);
      print(o.json, { revoked: key.id }, `revoked ${key.id}`);
      return 0;
    }
    throw new UsageError('api-keys needs one of: create, list, revoke');
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`ringback: ${err.message}\n`);
      process.exit(err instanceof ConfigError ? 78 : 2);
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`ringback: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`ringback: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
