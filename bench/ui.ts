// `jobtree ui` on a finished run of N jobs (default 100,000): how long the
// server takes to start (fold the log), the size and time of the whole tree
// the page first fetches, the server's memory, and in chromium the time to
// show the tree, the rows in the DOM, a jump to the last job, a job's panel,
// and one step back on the timeline. Run by hand:
//   node --import tsx bench/ui.ts [--jobs N] [--keep]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { chromiumPath } from '../test/helpers/browser.ts'
import { bin, jobtree } from '../test/helpers/cli.ts'
import { fanArgs } from '../test/helpers/ui.ts'

const at = process.argv.indexOf('--jobs')
const JOBS = at === -1 ? 100_000 : Number(process.argv[at + 1])
const dir = mkdtempSync(join(tmpdir(), 'jobtree-bench-ui-'))
const store = join(dir, 'store')
const ms = (t: number) => `${Math.round(performance.now() - t)} ms`

let t = performance.now()
const input = { n: JOBS, groups: Math.max(1, Math.round(JOBS / 1000)), ms: 0, failEvery: 0 }
const made = await jobtree(fanArgs(store, input))
if (made.code !== 0) throw new Error(made.stderr)
console.log(`run of ${JOBS} leaves: ${ms(t)}`)

t = performance.now()
const ui = spawn(process.execPath, [bin, 'ui', store], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise<string>((resolve) => ui.stdout.once('data', (c: Buffer) => resolve(c.toString().trim())))
console.log(`ui start (fold the whole log, then listen): ${ms(t)}`)
const token = new URL(url).searchParams.get('token')
const base = new URL(url).origin
try {
  t = performance.now()
  const rows = await (await fetch(`${base}/api/rows?token=${token}`)).text()
  console.log(`whole tree: ${(rows.length / 2 ** 20).toFixed(1)} MiB of JSON in ${ms(t)}`)
  const health = (await (await fetch(`${base}/api/health?token=${token}`)).json()) as { seq: number; memory: { rss: number; heapUsed: number } }
  console.log(
    `server: ${health.seq} events, RSS ${(health.memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(health.memory.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  )

  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  t = performance.now()
  await page.goto(url)
  await page.waitForSelector('#leader.finished')
  await page.waitForSelector('#tree .row')
  console.log(`page load to the tree shown: ${ms(t)}; rows in the DOM: ${await page.locator('#tree .row').count()}`)
  const last = JOBS + input.groups
  t = performance.now()
  await page.fill('#find', String(last))
  await page.press('#find', 'Enter')
  await page.waitForSelector(`#panel[data-job="${last}"]`)
  console.log(`go to job ${last} and its panel: ${ms(t)}`)
  t = performance.now()
  await page.click('#back')
  await page.waitForSelector(`#position[data-seq="${health.seq - 1}"]`)
  console.log(`one event back on the timeline: ${ms(t)}`)
  const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0)
  console.log(`page JS heap: ${(heap / 2 ** 20).toFixed(0)} MiB`)
  await browser.close()
} finally {
  ui.kill('SIGTERM')
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true })
}
