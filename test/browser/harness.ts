// Browser test harness: a real Ringback (startTestServer: its own data dir and store, the built web
// app served at `/`) and Debian's Chromium driven by playwright-core. Tests select only by the
// accessible names of the UI contract (getByRole / getByLabel).
//
// The browser is whatever `npm test` found (RINGBACK_CHROMIUM), else /usr/bin/chromium,
// chromium-browser or google-chrome. A test file run on its own without a Chromium FAILS: whether
// to skip the suite is decided by scripts/run-tests.ts, never here.
import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers.ts';

export { TEST_API_KEY } from '../helpers.ts';

export const OWNER_EMAIL = 'owner@ringback.local';
export const OWNER_PASSWORD = 'correct horse battery';

export const VIEWPORTS = {
  mobile: { width: 375, height: 812 },
  desktop: { width: 1280, height: 800 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = path.join(here, 'screenshots');

/** How long one UI expectation may wait (live updates included). */
export const UI_TIMEOUT = 10_000;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function chromiumPath(): string {
  const chosen = process.env.RINGBACK_CHROMIUM;
  if (chosen) {
    assert.ok(executable(chosen), `RINGBACK_CHROMIUM=${chosen} is not an executable file`);
    return chosen;
  }
  const candidates = ['/usr/bin/chromium'];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir) for (const name of ['chromium', 'chromium-browser', 'google-chrome']) candidates.push(path.join(dir, name));
  }
  const found = candidates.find(executable);
  if (!found) throw new Error('no Chromium found (set RINGBACK_CHROMIUM, or apt-get install chromium): the browser suite cannot run');
  return found;
}

export interface BrowserHarness {
  server: TestServer;
  browser: Browser;
  /** A fresh browser context (its own cookies) at a viewport, with one page open on the server. */
  newPage(viewport?: ViewportName): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Starts Ringback and Chromium. playwright's launch() gives Chromium a fresh temporary user-data
 * dir of its own and deletes it on close (it refuses a --user-data-dir argument).
 */
export async function startBrowserHarness(env: Record<string, string> = {}): Promise<BrowserHarness> {
  const executablePath = chromiumPath();
  const server = await startTestServer(env);
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (err) {
    await server.close();
    throw err;
  }
  const contexts: BrowserContext[] = [];
  return {
    server,
    browser,
    async newPage(viewport = 'desktop') {
      const context = await browser.newContext({ baseURL: server.url, viewport: VIEWPORTS[viewport] });
      context.setDefaultTimeout(UI_TIMEOUT);
      context.setDefaultNavigationTimeout(UI_TIMEOUT);
      contexts.push(context);
      const page = await context.newPage();
      watchPage(page);
      return page;
    },
    async close() {
      try {
        await browser.close();
      } finally {
        await server.close();
      }
    },
  };
}

/** Prints what the browser reports (uncaught errors, console errors) so a failure can be read. */
export function watchPage(page: Page): void {
  page.on('pageerror', (err) => process.stderr.write(`[browser pageerror] ${page.url()}: ${err.message}\n`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') process.stderr.write(`[browser console.error] ${page.url()}: ${msg.text()}\n`);
  });
}

/** Signs in through the sign-in page and waits for the app shell. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

export async function signInAsOwner(page: Page): Promise<void> {
  await signIn(page, OWNER_EMAIL, OWNER_PASSWORD);
}

/** Goes to a screen through the "Main" navigation, as a user would. */
export async function openScreen(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string; html: string }>;
}

/**
 * Runs axe-core on the page as it is now. Violations with impact serious or critical fail the
 * test; the others are printed as diagnostics. axe is evaluated over the DevTools protocol, which
 * a Content-Security-Policy does not block (a <script> tag would be).
 */
export async function checkA11y(page: Page, screenName: string): Promise<void> {
  const hasAxe = await page.evaluate('typeof window.axe !== "undefined"');
  if (!hasAxe) await page.evaluate(axeSource);
  const violations = (await page.evaluate(
    'window.axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary, html: n.html.slice(0, 200) })) })))',
  )) as AxeViolation[];
  const describe = (v: AxeViolation) =>
    `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes
      .slice(0, 5)
      .map((n) => `      at ${JSON.stringify(n.target)}: ${n.html}\n        ${(n.failureSummary ?? '').replace(/\n/g, '\n        ')}`)
      .join('\n')}`;
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = violations.filter((v) => !blocking.includes(v));
  if (minor.length) process.stdout.write(`# axe on "${screenName}" (${page.url()}): ${minor.length} minor/moderate finding(s), not failing:\n${minor.map(describe).join('\n')}\n`);
  assert.equal(blocking.length, 0, `axe-core finds serious or critical violations on "${screenName}" (${page.url()}):\n${blocking.map(describe).join('\n')}`);
}

export function viewportName(page: Page): ViewportName | `${number}x${number}` {
  const size = page.viewportSize();
  for (const [name, v] of Object.entries(VIEWPORTS) as Array<[ViewportName, { width: number; height: number }]>) {
    if (size && size.width === v.width && size.height === v.height) return name;
  }
  return `${size?.width ?? 0}x${size?.height ?? 0}`;
}

/** Saves a full-page screenshot to test/browser/screenshots/<name>-<viewport>.png (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}-${viewportName(page)}.png`);
  // From the top: a sticky header is drawn where the window is scrolled to, mid-page otherwise.
  const scrolled = (await page.evaluate('[window.scrollX, window.scrollY]')) as [number, number];
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  await page.evaluate(`window.scrollTo(${scrolled[0]}, ${scrolled[1]})`);
  return file;
}

/** axe, then a screenshot: what every screen a test visits gets. */
export async function visited(page: Page, name: string): Promise<void> {
  await checkA11y(page, name);
  await screenshot(page, name);
}

/** The page has no horizontal scroll (the layout fits the viewport's width); names what sticks out when it does. */
export async function assertNoHorizontalScroll(page: Page, what: string): Promise<void> {
  const { scrollWidth, width, wide } = (await page.evaluate(`(() => {
    const width = window.innerWidth;
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
      const box = el.getBoundingClientRect();
      if (box.right <= width + 0.5 || wide.length >= 6) continue;
      const label = el.getAttribute('aria-label') || (el.textContent || '').trim().slice(0, 30);
      wide.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' "' + label + '" (right edge ' + Math.round(box.right) + ' px)');
    }
    return { scrollWidth: document.scrollingElement.scrollWidth, width, wide };
  })()`)) as { scrollWidth: number; width: number; wide: string[] };
  assert.ok(scrollWidth <= width, `${what}: the page scrolls sideways at ${width} px (scrollWidth ${scrollWidth}); wider than the screen: ${wide.join('; ')}`);
}

/**
 * Calls the API from inside the page, as the web app does: the page's session cookie, and the
 * session's CSRF token (from GET /api/v1/auth/me) in x-csrf-token.
 */
export async function fetchInPage(page: Page, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  return (await page.evaluate(
    async ([method, url, body]) => {
      const g = globalThis as any;
      const find = (v: any): string | null => {
        if (!v || typeof v !== 'object') return null;
        if (typeof v.csrfToken === 'string') return v.csrfToken;
        for (const x of Object.values(v)) {
          const found = find(x);
          if (found) return found;
        }
        return null;
      };
      const me = await g.fetch('/api/v1/auth/me', { credentials: 'same-origin' });
      const csrf = me.ok ? find(await me.json()) : null;
      const res = await g.fetch(url, {
        method,
        credentials: 'same-origin',
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(csrf ? { 'x-csrf-token': csrf } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {}
      return { status: res.status as number, body: parsed, csrf };
    },
    [method, url, body] as const,
  )) as { status: number; body: any };
}

/** Waits until the element's visible text matches, and returns that text (a clear failure otherwise). */
export async function waitForText(locator: import('playwright-core').Locator, pattern: RegExp, what: string, timeoutMs = UI_TIMEOUT): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      last = await locator.innerText({ timeout: Math.max(100, Math.min(1000, deadline - Date.now())) });
      if (pattern.test(last)) return last;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (Date.now() > deadline) throw new Error(`${what}: expected text matching ${pattern}, got ${JSON.stringify(last.slice(0, 500))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
