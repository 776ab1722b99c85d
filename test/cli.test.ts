// The `ringback` command line, run as a real child process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { settle, startTestServer, type TestServer } from './helpers.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringback-cli-'));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('--help prints the commands; an unknown command exits 2', async () => {
  const help = await cli(['--help'], {});
  assert.equal(help.code, 0);
  assert.match(help.stdout, /simulate call/);
  assert.match(help.stdout, /api-keys create/);
  const unknown = await cli(['frobnicate'], { RINGBACK_DATA_DIR: tempDir() });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
});

test('a bad configuration value stops the command and names the variable', async () => {
  const res = await cli(['start'], { RINGBACK_PORT: 'abc', RINGBACK_DATA_DIR: tempDir() });
  assert.equal(res.code, 78);
  assert.match(res.stderr, /RINGBACK_PORT/);
  assert.match(res.stderr, /"abc"/);
});

test('migrate applies the schema once', async () => {
  const env = { RINGBACK_DATA_DIR: tempDir() };
  const first = await cli(['migrate', '--json'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), { applied: ['0001-initial', '0002-carriers', '0003-follow-through', '0004-sessions', '0005-sign-in-failures', '0006-saved-replies'] });
  const second = await cli(['migrate'], env);
  assert.match(second.stdout, /up to date/);
});

test('api-keys before the first start explains what to do', async () => {
  const res = await cli(['api-keys', 'list'], { RINGBACK_DATA_DIR: tempDir() });
  assert.equal(res.code, 2);
  assert.match(res.stderr, /npm start/);
});

describe('with a running server', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    const dataDir = tempDir();
    server = await startTestServer({}, { dataDir });
    env = { ...server.databaseEnv, RINGBACK_DATA_DIR: dataDir, RINGBACK_PORT: new URL(server.url).port };
  });
  after(async () => {
    await server.close();
  });

  test('api-keys create, list and revoke work on the owner\'s keys', async () => {
    const created = await cli(['api-keys', 'create', '--name', 'zapier', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const { key, apiKey } = JSON.parse(created.stdout);
    assert.match(key, /^rb_/);
    assert.equal((await server.api('GET', '/api/v1/account', undefined, { key })).status, 200);

    const listed = JSON.parse((await cli(['api-keys', 'list', '--json'], env)).stdout);
    assert.ok(listed.apiKeys.some((k: any) => k.id === apiKey.id && k.name === 'zapier' && k.revokedAt === null));
    assert.ok(!JSON.stringify(listed).includes(key), 'a listed key never shows the secret');

    const revoked = await cli(['api-keys', 'revoke', apiKey.id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await server.api('GET', '/api/v1/account', undefined, { key })).status, 401);
    const again = await cli(['api-keys', 'revoke', apiKey.id], env);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already revoked/);
  });

  test('simulate call places an unanswered call and prints the text-back', async () => {
    const res = await cli(['simulate', 'call', '--from', '+12125550188'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /text received \d+ ms after the call was placed/);
    assert.match(res.stdout, /Demo Plumbing/);
    const repeat = await cli(['simulate', 'call', '--from', '+12125550188', '--outcome', 'busy', '--wait', '0.3'], env);
    assert.match(repeat.stdout, /no text arrived/);
    assert.match(repeat.stdout, /already got an automatic text/);
  });

  test('simulate text and simulate inbox show the conversation from the phone\'s side', async () => {
    const sent = await cli(['simulate', 'text', '--from', '+12125550189', '--body', 'HELP'], env);
    assert.equal(sent.code, 0, sent.stderr);
    await settle(server);
    const inbox = await cli(['simulate', 'inbox', '--phone', '+12125550189', '--json'], env);
    const { messages } = JSON.parse(inbox.stdout);
    assert.equal(messages.length, 1);
    assert.match(messages[0].body, /STOP/);
  });

  test('simulate with a bad number names the option; a line that is not there gets the API\'s error', async () => {
    const res = await cli(['simulate', 'call', '--from', '12'], env);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--from is not a valid phone number/);
    const noLine = await cli(['simulate', 'call', '--from', '+12125550190', '--to', '+12125550191'], env);
    assert.equal(noLine.code, 2);
    assert.match(noLine.stderr, /404: \+12125550191 is not a line in this account/);
  });
});
