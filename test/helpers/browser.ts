// A real browser for the web view's tests: Debian's chromium (the package
// `chromium`, which .ci/run installs), driven by playwright-core. Never a
// browser build downloaded by a test tool.
import { existsSync } from 'node:fs'
import type { TestContext } from 'node:test'
import { chromium, type Browser } from 'playwright-core'

export const chromiumPath = process.env.JOBTREE_CHROMIUM ?? '/usr/bin/chromium'

/** Starts headless chromium (playwright gives it a fresh, empty profile); closed when `t` ends. */
export async function openBrowser(t: TestContext): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath}: install Debian's chromium package (apt-get install chromium)`)
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    // This machine's network is closed: without these, chromium keeps trying to reach Google's services.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  t.after(() => browser.close())
  return browser
}

/**
 * How long a page may take to show what a test waits for: playwright's 30 s
 * default is too short on a CI machine busy with other tests. It bounds a
 * wait, it does not time one.
 */
export const PAGE_WAIT_MS = 120_000
