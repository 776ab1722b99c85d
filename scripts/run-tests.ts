// `npm test`: type-check, then the suite on SQLite, then the database-backed suites again on
// PostgreSQL when TEST_DATABASE_URL is set (CI always sets it). A Postgres that was asked for but
// cannot be reached fails the run: it is never quietly skipped.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const files = args.filter((a) => !a.startsWith('--'));

const ALL = ['src/**/*.test.ts', 'test/**/*.test.ts'];
// What the Postgres pass repeats: everything that touches a store, a job runner or a service.
const DATABASE_BACKED = ['src/store/**/*.test.ts', 'src/jobs/**/*.test.ts', 'src/services/**/*.test.ts', 'test/**/*.test.ts'];

function run(label: string, command: string, argv: string[], env: NodeJS.ProcessEnv): boolean {
  process.stdout.write(`\n── ${label} ──\n`);
  const started = Date.now();
  const result = spawnSync(command, argv, { cwd: root, env, stdio: 'inherit' });
  const ok = result.status === 0;
  process.stdout.write(`── ${label}: ${ok ? 'passed' : `FAILED (exit ${result.status ?? result.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s ──\n`);
  return ok;
}

async function checkPostgres(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>('show server_version');
    await client.end();
    process.stdout.write(`PostgreSQL ${rows[0]?.v ?? '?'} at ${new URL(url).host}\n`);
    return null;
  } catch (err) {
    await client.end().catch(() => {});
    return (err as Error).message || String(err);
  }
}

function nodeTest(patterns: string[]): string[] {
  return ['--test', '--test-concurrency=2', ...patterns];
}

const results: Array<[string, boolean]> = [];
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!run('type-check (tsc --noEmit)', process.execPath, [tsc, '--noEmit'], process.env)) process.exit(1);

const { TEST_DATABASE_URL, ...withoutPostgres } = process.env;
if (only !== 'postgres') {
  results.push(['SQLite', run('suite on SQLite', process.execPath, nodeTest(files.length ? files : ALL), { ...withoutPostgres, RINGBACK_TEST_STORE: 'sqlite' })]);
}
if (only !== 'sqlite') {
  if (TEST_DATABASE_URL) {
    const problem = await checkPostgres(TEST_DATABASE_URL);
    if (problem) {
      process.stderr.write(`\nTEST_DATABASE_URL is set but PostgreSQL cannot be reached (${problem}).\nThe Postgres suites cannot run, so the run fails. Start PostgreSQL or unset TEST_DATABASE_URL.\n`);
      results.push(['PostgreSQL', false]);
    } else {
      results.push(['PostgreSQL', run('suite on PostgreSQL', process.execPath, nodeTest(files.length ? files : DATABASE_BACKED), { ...process.env, RINGBACK_TEST_STORE: 'postgres' })]);
    }
  } else {
    process.stdout.write('\nPostgreSQL pass not run: TEST_DATABASE_URL is not set (CI sets it; e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test).\n');
  }
}

process.stdout.write(`\n${results.map(([name, ok]) => `${name}: ${ok ? 'passed' : 'FAILED'}`).join('   ')}\n`);
process.exit(results.every(([, ok]) => ok) ? 0 : 1);
