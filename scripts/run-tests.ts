// `npm test`: type-check (the server, and the web app when there is one), then the suite on
// SQLite, then the database-backed suites again on PostgreSQL when TEST_DATABASE_URL is set (CI
// always sets it), then the browser suite (test/browser/, real Chromium driven by playwright-core)
// when a Chromium is found. A Postgres that was asked for but cannot be reached fails the run; so
// does a missing Chromium when RINGBACK_REQUIRE_BROWSER=1 (CI sets it) or --only=browser: neither
// is ever quietly skipped there. Locally, a missing Chromium skips the browser pass and says so.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && !['sqlite', 'postgres', 'browser'].includes(only)) {
  process.stderr.write(`--only=${only}: expected --only=sqlite, --only=postgres or --only=browser\n`);
  process.exit(2);
}
const files = args.filter((a) => !a.startsWith('--'));
const isBrowserFile = (f: string) => path.relative(root, path.resolve(root, f)).split(path.sep).slice(0, 2).join('/') === 'test/browser';
const browserFiles = files.filter(isBrowserFile);
const otherFiles = files.filter((f) => !isBrowserFile(f));

// Explicit patterns: `test/*.test.ts` (not test/**) so the browser suite stays out of these passes.
const ALL = ['src/**/*.test.ts', 'test/*.test.ts'];
// What the Postgres pass repeats: everything that touches a store, a job runner or a service.
const DATABASE_BACKED = ['src/store/**/*.test.ts', 'src/jobs/**/*.test.ts', 'src/services/**/*.test.ts', 'test/*.test.ts'];
const BROWSER = ['test/browser/*.test.ts'];

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

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium to drive: RINGBACK_CHROMIUM, else /usr/bin/chromium, else chromium-browser or google-chrome on PATH. */
function findChromium(): { path: string | null; why: string } {
  const chosen = process.env.RINGBACK_CHROMIUM;
  if (chosen) return isExecutable(chosen) ? { path: chosen, why: 'RINGBACK_CHROMIUM' } : { path: null, why: `RINGBACK_CHROMIUM=${chosen} is not an executable file` };
  if (isExecutable('/usr/bin/chromium')) return { path: '/usr/bin/chromium', why: 'found' };
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (dir && isExecutable(path.join(dir, name))) return { path: path.join(dir, name), why: 'found on PATH' };
    }
  }
  return { path: null, why: 'no Chromium at /usr/bin/chromium, and no chromium, chromium-browser or google-chrome on PATH' };
}

function nodeTest(patterns: string[], concurrency = 2): string[] {
  return ['--test', `--test-concurrency=${concurrency}`, ...patterns];
}

const results: Array<[string, boolean]> = [];
const skipped: string[] = [];
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!run('type-check (tsc --noEmit)', process.execPath, [tsc, '--noEmit'], process.env)) process.exit(1);
if (existsSync(path.join(root, 'web', 'tsconfig.json'))) {
  if (!run('type-check the web app (tsc -p web/tsconfig.json --noEmit)', process.execPath, [tsc, '-p', 'web/tsconfig.json', '--noEmit'], process.env)) process.exit(1);
}

// File names after `--` pick the passes they belong to: browser files run only in the browser pass.
const runSqlite = only === undefined || only === 'sqlite';
const runPostgres = only === undefined || only === 'postgres';
const runBrowser = only === undefined || only === 'browser';
const serverFiles = files.length ? otherFiles : null;
const browserSuite = files.length ? browserFiles : BROWSER;

const { TEST_DATABASE_URL, ...withoutPostgres } = process.env;
if (runSqlite && (serverFiles === null || serverFiles.length)) {
  results.push(['SQLite', run('suite on SQLite', process.execPath, nodeTest(serverFiles ?? ALL), { ...withoutPostgres, RINGBACK_TEST_STORE: 'sqlite' })]);
}
if (runPostgres && (serverFiles === null || serverFiles.length)) {
  if (TEST_DATABASE_URL) {
    const problem = await checkPostgres(TEST_DATABASE_URL);
    if (problem) {
      process.stderr.write(`\nTEST_DATABASE_URL is set but PostgreSQL cannot be reached (${problem}).\nThe Postgres suites cannot run, so the run fails. Start PostgreSQL or unset TEST_DATABASE_URL.\n`);
      results.push(['PostgreSQL', false]);
    } else {
      results.push(['PostgreSQL', run('suite on PostgreSQL', process.execPath, nodeTest(serverFiles ?? DATABASE_BACKED), { ...process.env, RINGBACK_TEST_STORE: 'postgres' })]);
    }
  } else {
    process.stdout.write('\nPostgreSQL pass not run: TEST_DATABASE_URL is not set (CI sets it; e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test).\n');
  }
}
if (runBrowser && browserSuite.length) {
  const chromium = findChromium();
  const required = process.env.RINGBACK_REQUIRE_BROWSER === '1' || only === 'browser' || browserFiles.length > 0 || Boolean(process.env.RINGBACK_CHROMIUM);
  if (!chromium.path) {
    if (required) {
      const because = process.env.RINGBACK_REQUIRE_BROWSER === '1' ? 'RINGBACK_REQUIRE_BROWSER=1' : process.env.RINGBACK_CHROMIUM ? 'RINGBACK_CHROMIUM is set' : 'the browser suite was asked for';
      process.stderr.write(`\nThe browser suite must run (${because}) but cannot: ${chromium.why}.\nInstall Debian's Chromium (apt-get install chromium) or point RINGBACK_CHROMIUM at a Chromium, so the run fails.\n`);
      results.push(['browser', false]);
    } else {
      process.stdout.write(`\nBROWSER SUITE SKIPPED: ${chromium.why}.\nInstall Debian's Chromium (apt-get install chromium) or set RINGBACK_CHROMIUM=/path/to/chromium to run test/browser/ (CI always runs it).\n`);
      skipped.push('browser: SKIPPED (no Chromium)');
    }
  } else {
    process.stdout.write(`\nChromium: ${chromium.path} (${chromium.why})\n`);
    const build = path.join(root, 'scripts', 'build-web.ts');
    const built = !existsSync(build) || run('build the web app (scripts/build-web.ts --if-stale)', process.execPath, [build, '--if-stale'], process.env);
    if (!built) {
      results.push(['browser', false]);
    } else {
      results.push(['browser', run('browser suite (Chromium, SQLite)', process.execPath, nodeTest(browserSuite, 1), { ...withoutPostgres, RINGBACK_TEST_STORE: 'sqlite', RINGBACK_CHROMIUM: chromium.path })]);
    }
  }
}

process.stdout.write(`\n${[...results.map(([name, ok]) => `${name}: ${ok ? 'passed' : 'FAILED'}`), ...skipped].join('   ')}\n`);
process.exit(results.every(([, ok]) => ok) ? 0 : 1);
