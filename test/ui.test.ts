// `jobtree ui`, in a real browser (Debian's chromium, test/helpers/browser.ts)
// against stores made by really running workflows (test/fixtures/uiTargets.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { openBrowser, PAGE_WAIT_MS } from './helpers/browser.ts'
import { finished, jobtree, scratch, startJobtree } from './helpers/cli.ts'
import { eventually } from './helpers/processes.ts'
import { fanArgs, startUi } from './helpers/ui.ts'
import { leaderAnswers } from '../src/socket/ask.ts'
import { storePaths } from '../src/store/store.ts'

const STALLED_CLIENT = `
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(('GET /events?token=%s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' % sys.argv[3]).encode())
print('connected', flush=True)
time.sleep(600)
`

async function statusCounts(store: string): Promise<Record<string, number>> {
  const r = await jobtree(['status', store, '--json'])
  return (JSON.parse(r.stdout) as { counts: Record<string, number> }).counts
}

/** The counts the page's header shows, by the names status --json gives them. */
async function pageCounts(page: Page): Promise<Record<string, number>> {
  const read = async (key: string) => Number(await page.getAttribute(`#count-${key}`, 'data-value'))
  return {
    total: await read('total'),
    waiting: await read('waiting'),
    ready: await read('ready'),
    issued: await read('running'),
    succeeded: await read('done'),
    failed: await read('failed'),
  }
}

function rowState(page: Page, id: number): Promise<string | null> {
  return page.getAttribute(`#tree .row[data-id="${id}"]:not([hidden])`, 'data-state')
}

async function status(url: string): Promise<number> {
  return (await fetch(url)).status
}

test('ui: a finished run with failures: the end state, the failed jobs and their logs, the timeline back to an earlier moment, refused without the token', async (t) => {
  const dir = scratch(t, 'jobtree-ui-')
  const store = join(dir, 'store')
  const run = await jobtree(fanArgs(store, { n: 40, groups: 4, ms: 0, failEvery: 10 }, ['--retry-count', '1']))
  assert.equal(run.code, 1, run.stderr)
  const ui = await startUi(t, store)

  await t.test('every request needs the token: the page, the API and the event stream', async () => {
    for (const path of ['/', '/page.js', '/api/rows', '/api/job?id=0', '/api/charts', '/events']) {
      assert.equal(await status(`${ui.base}${path}`), 403, path)
      const sep = path.includes('?') ? '&' : '?'
      assert.equal(await status(`${ui.base}${path}${sep}token=${ui.token.slice(0, -1)}x`), 403, `${path} with a wrong token`)
    }
    assert.equal(await status(ui.url), 200)
    assert.equal((await fetch(`${ui.base}/api/rows?token=${ui.token}`, { method: 'POST' })).status, 405, 'nothing acts on the run')
  })

  const browser = await openBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  page.setDefaultTimeout(PAGE_WAIT_MS)
  await page.goto(ui.url)
  await page.waitForSelector('#leader.finished')

  await t.test('the counts are those of jobtree status; the failed jobs are listed at the top', async () => {
    assert.deepEqual(await pageCounts(page), await statusCounts(store))
    const failed = await page.$$eval('#failed a', (links) => links.map((a) => a.textContent))
    assert.deepEqual(
      failed.map((f) => f?.split(':')[0]),
      ['14 leaf', '25 leaf', '36 leaf', '47 leaf'],
    )
    assert.equal(await page.textContent('#leader'), 'finished with failures')
  })

  await t.test("a failed job's panel: its attempts, their reasons, the tail of its log", async () => {
    await page.click('#failed a[data-id="14"]')
    await page.waitForSelector('#panel[data-job="14"]')
    const log = await page.textContent('#panel pre.log')
    assert.match(log ?? '', /leaf 9 says line 5/)
    const text = (await page.textContent('#panel')) ?? ''
    assert.match(text, /Attempts \(2\)/)
    assert.match(text, /threw: Error: leaf 9 breaks on purpose|threw: leaf 9 breaks on purpose/)
    assert.match(text, /failed completely/)
    assert.equal(await rowState(page, 14), 'failed')
    await page.screenshot({ path: join(dir, 'failed-job.png') })
    copyFileSync(join(dir, 'failed-job.png'), '/work/briefs/ui-failed-job.png')
  })

  await t.test('the timeline: a link to an earlier moment shows the tree then; stepping moves one event', async () => {
    const events = (await jobtree(['events', store])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string; jobId?: number })
    const issued = events.find((e) => e.type === 'JobIssued' && e.jobId === 0)
    assert.ok(issued !== undefined)
    await page.goto(`${ui.url}#seq=${issued.seq}`)
    await page.waitForSelector(`#position[data-seq="${issued.seq}"]`)
    assert.equal(await rowState(page, 0), 'running', 'the root was running then')
    assert.equal(await page.getAttribute('#count-total', 'data-value'), '1')
    await page.keyboard.press('ArrowLeft')
    await page.waitForSelector(`#position[data-seq="${issued.seq - 1}"]`)
    assert.equal(await rowState(page, 0), 'ready', 'one event before, it was queued')
    assert.match(page.url(), new RegExp(`#seq=${issued.seq - 1}(&|$)`))
    await page.click('#forward')
    await page.click('#forward')
    await page.waitForSelector(`#position[data-seq="${issued.seq + 1}"]`)
    await page.click('#live')
    await page.waitForSelector(`#position[data-seq="${events.length}"]`)
    assert.equal(await rowState(page, 0), 'done')
    assert.deepEqual(await pageCounts(page), await statusCounts(store))
  })

  const stopped = await ui.stop()
  assert.equal(stopped.code, 0, stopped.stderr)
  assert.equal(stopped.stdout, `${ui.url}\n`, 'its one line on stdout is the URL')
})

test('ui: follows a running workflow live; a page that never reads costs the server a bounded queue, and the page keeps up with 10,000 jobs', async (t) => {
  const dir = scratch(t, 'jobtree-ui-')
  const store = join(dir, 'store')
  // A first, slow part to watch, created before the UI starts: the store must exist.
  const leader = startJobtree(fanArgs(store, { n: 10_000, groups: 10, ms: 2, failEvery: 0 }, ['--max-jobs', '50']))
  const result = finished(leader)
  t.after(() => leader.kill('SIGKILL'))
  await eventually('the leader answers', () => leaderAnswers(storePaths(store), 1000), 30_000)
  const ui = await startUi(t, store, [])

  // A client that opens the event stream and never reads from it, with a small receive buffer (Node cannot set one),
  // so that what the server sends it piles up in the server rather than in the kernel.
  const { hostname, port } = new URL(ui.base)
  const stalled = spawn('python3', ['-c', STALLED_CLIENT, hostname, port, ui.token], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => stalled.kill('SIGKILL'))
  await new Promise((resolve) => stalled.stdout.once('data', resolve))

  const browser = await openBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  page.setDefaultTimeout(PAGE_WAIT_MS)
  await page.goto(ui.url)
  await page.waitForSelector('#leader.running')
  const seen = new Set<number>()
  await eventually(
    'the page shows the count of finished jobs changing while the run goes on',
    async () => {
      const done = Number(await page.getAttribute('#count-done', 'data-value'))
      if (done > 0 && done < 10_000) seen.add(done)
      return seen.size >= 3
    },
    60_000,
  )
  await page.screenshot({ path: join(dir, 'live.png') })
  const ran = await result
  assert.equal(ran.code, 0, ran.stderr)
  await page.waitForSelector('#leader.finished')
  await eventually('the page shows the end of the log', async () => (await pageCounts(page)).succeeded === 10_021, 30_000)
  assert.deepEqual(await pageCounts(page), await statusCounts(store), 'no event dropped: the final counts are those of jobtree status')
  await page.screenshot({ path: join(dir, 'tree.png') })
  copyFileSync(join(dir, 'tree.png'), '/work/briefs/ui-tree.png')

  const health = (await (await fetch(`${ui.base}/api/health?token=${ui.token}`)).json()) as {
    clients: Array<{ queuedBytes: number; boundBytes: number }>
    memory: { rss: number }
  }
  // The stalled reader holds no more than its bound (test/uiBackPressure.test.ts drives one past it).
  for (const c of health.clients) assert.ok(c.queuedBytes <= c.boundBytes + 2 ** 20, `queued ${c.queuedBytes} bytes`)
  assert.ok(health.memory.rss < 512 * 2 ** 20, `the server's memory: ${health.memory.rss} bytes`)

  // A page opened now gets the whole, current tree.
  const later = await browser.newPage()
  later.setDefaultTimeout(PAGE_WAIT_MS)
  await later.goto(ui.url)
  await later.waitForSelector('#leader.finished')
  assert.deepEqual(await pageCounts(later), await statusCounts(store))
  assert.equal((await (await fetch(`${ui.base}/api/rows?token=${ui.token}`)).json()).rows.length, 10_021)
})
