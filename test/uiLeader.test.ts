// `jobtree ui` across a leader's death and restart, and the bad input it refuses.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { openBrowser, PAGE_WAIT_MS } from './helpers/browser.ts'
import { finished, jobtree, logDigest, scratch, startJobtree } from './helpers/cli.ts'
import { eventually } from './helpers/processes.ts'
import { fanArgs, startUi } from './helpers/ui.ts'
import { leaderAnswers } from '../src/socket/ask.ts'
import { storePaths } from '../src/store/store.ts'

const SLOW = { n: 120, groups: 4, ms: 150, failEvery: 0 }
const slowArgs = (store: string, more: string[] = []) => fanArgs(store, SLOW, ['--max-jobs', '8', ...more])

test('ui: a leader SIGKILLed mid-run shows as gone; the page follows the next leader (--restart) to the end', async (t) => {
  const dir = scratch(t, 'jobtree-ui-')
  const store = join(dir, 'store')
  const first = startJobtree(slowArgs(store))
  const firstEnd = finished(first)
  t.after(() => first.kill('SIGKILL'))
  await eventually('the leader answers', () => leaderAnswers(storePaths(store), 1000), 30_000)
  const ui = await startUi(t, store)
  const browser = await openBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } })
  page.setDefaultTimeout(PAGE_WAIT_MS)
  await page.goto(ui.url)
  await page.waitForSelector('#leader.running')
  await eventually('some leaves are done', async () => Number(await page.getAttribute('#count-done', 'data-value')) >= 10, 60_000)
  first.kill('SIGKILL')
  await firstEnd
  await page.waitForSelector('#leader.gone')
  assert.match((await page.textContent('#banner')) ?? '', /No leader is running this run/)
  assert.equal(await page.textContent('#leader'), 'leader gone')

  const second = startJobtree(slowArgs(store, ['--restart']))
  t.after(() => second.kill('SIGKILL'))
  const secondEnd = await finished(second)
  assert.equal(secondEnd.code, 0, secondEnd.stderr)
  await page.waitForSelector('#leader.finished')
  const status = JSON.parse((await jobtree(['status', store, '--json'])).stdout) as { counts: { succeeded: number; total: number }; epoch: number }
  await eventually(
    'the page shows the end of the run',
    async () => Number(await page.getAttribute('#count-done', 'data-value')) === status.counts.succeeded,
    10_000,
  )
  assert.equal(Number(await page.getAttribute('#count-total', 'data-value')), status.counts.total)
  assert.equal(status.epoch, 2)
  assert.equal(await page.textContent('#leader'), 'finished')
  assert.equal(await page.isHidden('#banner'), true, (await page.textContent('#banner')) ?? '')
  const stopped = await ui.stop()
  assert.equal(stopped.code, 0)
  assert.doesNotMatch(stopped.stderr, /stopped following/)
})

test('ui: bad input is one line, a non-zero exit, and the store untouched', async (t) => {
  const dir = scratch(t, 'jobtree-ui-')
  const store = join(dir, 'store')
  const made = await jobtree(fanArgs(store, { n: 400, groups: 2, ms: 0, failEvery: 0 }))
  assert.equal(made.code, 0, made.stderr)
  const digest = await logDigest(store)

  const oneLine = (r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) => {
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, pattern)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  }
  oneLine(await jobtree(['ui', join(dir, 'nowhere')]), /^jobtree: error: no store at \S+nowhere\n$/)
  mkdirSync(join(dir, 'plain'))
  oneLine(await jobtree(['ui', join(dir, 'plain')]), /^jobtree: error: \S+plain is not a jobtree store/)
  oneLine(await jobtree(['ui', store, '--port', 'eighty']), /--port/)

  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.after(() => taken.close())
  const port = (taken.address() as AddressInfo).port
  oneLine(await jobtree(['ui', store, '--port', String(port)]), new RegExp(`^jobtree: error: port ${port} on 127\\.0\\.0\\.1 is in use`))

  // A damaged table of the log: bytes flipped in the middle of it, on a copy.
  const damaged = join(dir, 'damaged')
  cpSync(store, damaged, { recursive: true })
  const table = readdirSync(join(damaged, 'events')).find((f) => f.endsWith('.ldb'))
  assert.ok(table !== undefined, 'the log has a table file')
  const bytes = readFileSync(join(damaged, 'events', table))
  for (let i = bytes.length >> 1; i < (bytes.length >> 1) + 64; i++) bytes[i] ^= 0xff
  writeFileSync(join(damaged, 'events', table), bytes)
  // The log layer says so for every reader, in one line: not an internal error.
  for (const command of ['ui', 'replay', 'stats']) oneLine(await jobtree([command, damaged]), /^jobtree: error: the log in \S+ is damaged: /)

  assert.equal(await logDigest(store), digest, 'the store is as it was')
})

test('ui: --host beyond loopback warns in one line; it serves there too', async (t) => {
  const dir = scratch(t, 'jobtree-ui-')
  const store = join(dir, 'store')
  const made = await jobtree(fanArgs(store, { n: 4, groups: 1, ms: 0, failEvery: 0 }))
  assert.equal(made.code, 0, made.stderr)
  const ui = await startUi(t, store, ['--host', '0.0.0.0'])
  assert.equal((await fetch(ui.url.replace('0.0.0.0', '127.0.0.1'))).status, 200)
  const stopped = await ui.stop()
  assert.equal(stopped.code, 0)
  assert.match(stopped.stderr, /^jobtree: warning: the web view listens on 0\.0\.0\.0, beyond this machine[^\n]*\n/)
})
