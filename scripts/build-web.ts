// Builds the web app (web/) into web/dist with Vite's JS API; prints one line.
//
//   node scripts/build-web.ts             build now
//   node scripts/build-web.ts --if-stale  build only when web/dist/index.html is missing or older
//                                          than a file under web/ (npm start runs this first)
//
// Runs offline (everything it needs is in node_modules). A build error exits 1 with the error.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = fileURLToPath(new URL('../web', import.meta.url));
const distDir = join(webDir, 'dist');
const distIndex = join(distDir, 'index.html');

/** The newest modification time of the app's sources (everything under web/ except dist). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === distDir || entry.name === 'node_modules') continue;
    const time = entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    if (time > newest) newest = time;
  }
  return newest;
}

function builtAt(): number | null {
  try {
    return statSync(distIndex).mtimeMs;
  } catch {
    return null;
  }
}

if (process.argv.includes('--if-stale')) {
  const built = builtAt();
  if (built !== null && built >= newestSource(webDir)) {
    console.log(`web app: up to date (${relative(process.cwd(), distDir) || distDir})`);
    process.exit(0);
  }
}

const started = Date.now();
try {
  const { build } = await import('vite');
  await build({ configFile: join(webDir, 'vite.config.ts'), logLevel: 'error' });
  console.log(`web app: built into ${relative(process.cwd(), distDir) || distDir} in ${Date.now() - started} ms`);
} catch (err) {
  console.error(`web app: build FAILED: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
}
