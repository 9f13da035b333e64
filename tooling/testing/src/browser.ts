import { execFileSync } from 'node:child_process';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, unless CHROMIUM_PATH names another. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string =>
  env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Installs Chromium with the project's script (scripts/install-test-browser.sh under
 * `repoRoot`) when it is missing, so a browser test runs, never skips, on a fresh machine. For a
 * package's jest global setup; bounded by apt-get's own 10 minutes.
 */
export function installTestBrowser(repoRoot: string): void {
  execFileSync('bash', [`${repoRoot}/scripts/install-test-browser.sh`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 660_000,
  });
}

/** Headless Chromium that makes no traffic of its own (updates, sync, field trials). */
export function launchTestBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * No internet for `page`: every request (WebSocket handshakes included) that is not for `origin`
 * or a `blob:` URL the page made is refused, and recorded in the returned list, which a test
 * asserts empty.
 */
export async function blockOffsite(page: Page, origin: string): Promise<string[]> {
  const allowed = new URL(origin);
  const offsite: string[] = [];
  const isLocal = (url: string) => {
    if (url.startsWith('blob:') || url.startsWith('data:')) return true;
    const target = URL.parse(url);
    if (!target) return false;
    // A WebSocket to the same host and port is the same service.
    return (
      target.host === allowed.host && ['http:', 'https:', 'ws:', 'wss:'].includes(target.protocol)
    );
  };
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  await page.routeWebSocket(/.*/, (socket) => {
    const url = socket.url();
    if (isLocal(url)) {
      socket.connectToServer();
      return;
    }
    offsite.push(url);
    void socket.close({ code: 1008, reason: 'off-site' });
  });
  return offsite;
}

/**
 * What the page's Content-Security-Policy refused, as Chromium reports it on the console: a test
 * asserts none, so a policy too tight for the page fails the test instead of breaking it quietly.
 */
export function recordCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/**
 * Runs `steps`; when they fail, writes what the page showed to `path` (a git-ignored file) for a
 * person to look at, then rethrows.
 */
export async function screenshotOnFailure<T>(
  page: Page,
  path: string,
  steps: () => Promise<T>,
): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    await page.screenshot({ path, timeout: 5_000 }).catch(() => {});
    throw error;
  }
}
