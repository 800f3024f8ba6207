// `jobtree report`: a real run (jobs failing with log lines, retried, one
// named to inject markup), its report made while the leader runs and after,
// both opened offline in a real browser (Debian's chromium), and bad input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser, Locator, Page } from 'playwright-core'
import { openBrowser, PAGE_WAIT_MS } from './helpers/browser.ts'
import { copyStore } from './helpers/audit.ts'
import { finished, jobtree, logDigest, readEvents, scratch, sleep, startJobtree } from './helpers/cli.ts'
import { packLanes } from '../src/ui/report/lanes.ts'
import { GANTT_FIELDS, GANTT_STRIDE, OUTCOMES } from '../src/ui/report/reportData.ts'
import type { StatusReport } from '../src/audit/statusReport.ts'
import type { StatsReport } from '../src/audit/stats.ts'

const MODULE = 'test/fixtures/reportTargets.ts'
const HOSTILE = '<script>window.__pwned = 1</script>'

interface Gantt {
  lanes: number
  restarts: number[]
  attempts: number[]
  names: string[]
  live: boolean
}

/** Opens `file` offline, every request other than the file itself aborted and noted. */
async function openOffline(browser: Browser, file: string): Promise<{ page: Page; attempted: string[]; errors: string[] }> {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(PAGE_WAIT_MS)
  const url = pathToFileURL(file).href
  const attempted: string[] = []
  await context.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue()
    attempted.push(route.request().url())
    return route.abort()
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(String(err)))
  await page.goto(url)
  return { page, attempted, errors }
}

/** The names of the jobs whose attempts had `outcome`, one per attempt. */
function namesWith(g: Gantt, outcome: (typeof OUTCOMES)[number]): string[] {
  const names: string[] = []
  for (let i = 0; i < g.attempts.length; i += GANTT_STRIDE)
    if (g.attempts[i + GANTT_FIELDS.indexOf('outcome')] === OUTCOMES.indexOf(outcome)) names.push(g.names[g.attempts[i + GANTT_FIELDS.indexOf('name')]])
  return names
}

const text = async (l: Locator): Promise<string> => (await l.textContent()) ?? ''

const gantt = (page: Page): Promise<Gantt> => page.evaluate(() => JSON.parse(document.getElementById('gantt-data')?.textContent ?? 'null') as Gantt)

async function status(store: string): Promise<StatusReport> {
  const r = await jobtree(['status', store, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as StatusReport
}

/** Waits until the running leader's status passes `ready` (the store may not be made yet). */
async function untilStatus(store: string, ready: (s: StatusReport) => boolean): Promise<void> {
  for (;;) {
    if (existsSync(join(store, 'jobtree.json'))) {
      const r = await jobtree(['status', store, '--json'])
      if (r.code === 0 && ready(JSON.parse(r.stdout) as StatusReport)) return
    }
    await sleep(200)
  }
}

test('report: lanes are packed lowest-free-first, as many as ever ran at once', () => {
  const { lanes, count } = packLanes([
    { start: 0, end: 10 },
    { start: 2, end: 5 },
    { start: 5, end: 8 },
    { start: 10, end: 12 },
    { start: 3, end: 4 },
    { start: 7, end: 7 },
  ])
  assert.deepEqual(lanes, [0, 1, 1, 0, 2, 2])
  assert.equal(count, 3)
  assert.deepEqual(packLanes([]), { lanes: [], count: 0 })
})

test('report: a live run and a finished one, each one self-contained page, read offline in a browser', async (t) => {
  const dir = scratch(t, 'jobtree-report-')
  const store = join(dir, 'store')
  const gateFile = join(dir, 'gate')
  const input = { work: 40, broken: 2, flaky: 2, gate: gateFile }
  const leader = startJobtree(['run', MODULE, '--target', 'reportRun', '--store', store, '--input', JSON.stringify(input), '--no-progress'])
  const run = finished(leader)
  try {
    // Everything but the gated job has ended: the broken ones and the hostile one failed completely, the flaky ones retried.
    await untilStatus(store, (s) => s.live && s.counts.failed === 3 && s.counts.issued === 1 && s.counts.ready === 0 && s.counts.succeeded >= 45)
    const liveFile = join(dir, 'live.html')
    const live = await jobtree(['report', store, '-o', liveFile])
    assert.equal(live.code, 0, live.stderr)
    assert.equal(live.stdout, `${liveFile}\n`)
    const browser = await openBrowser(t)
    const seen = await openOffline(browser, liveFile)
    assert.match(await text(seen.page.locator('#snapshot')), /^A snapshot as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, run still going/)
    assert.equal(await seen.page.locator('#run-state').textContent(), 'still running')
    assert.match(await text(seen.page.locator('#counts')), /issued \(1 running, 0 waiting for resources\)1/, "the leader's own count of what runs now")
    const liveGantt = await gantt(seen.page)
    assert.equal(liveGantt.live, true)
    assert.deepEqual(namesWith(liveGantt, 'out'), ['gate'], 'the gated job is drawn as still running')
    assert.deepEqual(seen.attempted, [])
    assert.deepEqual(seen.errors, [])
    await seen.page.context().close()

    // Stopped: the gated job's attempt is abandoned, and the report says the run was interrupted.
    const killed = await jobtree(['kill', store])
    assert.equal(killed.code, 0, killed.stderr)
    assert.equal((await run).code, 130)
    const stoppedFile = join(dir, 'stopped.html')
    assert.equal((await jobtree(['report', store, '-o', stoppedFile])).code, 0)
    const stopped = await openOffline(browser, stoppedFile)
    assert.equal(await stopped.page.locator('#run-state').textContent(), 'interrupted')
    assert.equal(await stopped.page.locator('#snapshot').count(), 0, 'no leader: not a snapshot')
    assert.deepEqual(namesWith(await gantt(stopped.page), 'abandoned'), ['gate'])
    assert.deepEqual(stopped.errors, [])
    await stopped.page.context().close()

    // Resumed with the gate open: the run ends, its failed jobs having had a fresh budget (and failed again).
    writeFileSync(gateFile, '')
    const resumed = await jobtree(['run', MODULE, '--store', store, '--restart', '--no-progress'])
    assert.equal(resumed.code, 1, 'the run fails: jobs failed completely')

    // The finished run.
    const file = join(dir, 'report.html')
    const made = await jobtree(['report', store], dir)
    assert.equal(made.code, 0, made.stderr)
    assert.equal(made.stdout, `${file}\n`, 'report.html in the current directory, by default')
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp')),
      [],
      'no temporary file left',
    )
    const bytes = statSync(file).size
    t.diagnostic(`report of ${(await readEvents(store)).length} events: ${bytes} bytes`)
    const final = await status(store)
    const statsRun = await jobtree(['stats', store, '--json'])
    const stats = JSON.parse(statsRun.stdout) as StatsReport
    const { page, attempted, errors } = await openOffline(browser, file)

    // The summary's counts are status's.
    assert.equal(await page.locator('#run-state').textContent(), 'failed')
    assert.equal(await page.locator('#run-state-detail').textContent(), '3 job(s) failed completely, 1 blocked by them')
    for (const [key, n] of Object.entries(final.counts)) assert.equal(await page.locator(`#count-${key}`).getAttribute('data-n'), String(n), key)
    assert.equal(await page.locator('#card-attempts .v').textContent(), String(stats.totals.attempts))
    assert.match(await text(page.locator('#card-run .d')), /^2 leader\(s\), 1 restart\(s\)$/)
    assert.match(await text(page.locator('#card-attempts .d')), new RegExp(`^${stats.totals.failedAttempts} failed, ${stats.totals.retries} retried`))

    // The per-target table: each target with its jobs (those that succeeded) and failed attempts.
    const rows = await page
      .locator('#target-table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)))
    const table = new Map(rows.map(([name, jobs, failed]) => [name, [Number(jobs), Number(failed)]]))
    assert.deepEqual(table.get('work'), [40, 0])
    assert.deepEqual(table.get('stage'), [2, 0])
    assert.deepEqual(table.get('spin'), [2, 0])
    assert.deepEqual(table.get('flaky'), [2, 2])
    assert.deepEqual(table.get('broken'), [0, 8], 'two attempts each under each leader')
    assert.deepEqual(table.get(HOSTILE), [0, 2], 'the hostile name shows as text')
    assert.deepEqual(table.get('command echo'), [1, 0])
    assert.equal(table.size, stats.targets.length)
    // Sorting by a click: jobs, most first.
    await page.locator('#target-table th[data-col="1"]').click()
    assert.equal(await page.locator('#target-table tbody tr:first-child td:first-child').textContent(), 'work')

    // The failures: a failed job's log tail, and its failed attempts.
    const brokenJob = page.locator('.failed-job', { hasText: 'part 0 is corrupt' })
    assert.match(await text(brokenJob), /failed completely after 2 failed attempt\(s\) \(4 in all: .*\): threw: part 0 is corrupt/)
    assert.match(await text(brokenJob.locator('pre.log')), /broken 0: reading part 0 \(attempt 4\)\nbroken 0: error: part 0 is corrupt$/)
    assert.equal(await page.locator('tr.failed-attempt').count(), stats.totals.failedAttempts)
    const flakyAttempt = page.locator('tr.failed-attempt', { hasText: 'flaky 1 fails its first attempt' })
    assert.equal(await flakyAttempt.locator('pre.log').textContent(), 'flaky 1 attempt 1', "the attempt's own lines, not the later attempt's")

    // Nothing from the log ran: the hostile name, log line and error are text.
    assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined)
    const hostile = page.locator('.failed-job', { hasText: HOSTILE })
    assert.match(await text(hostile), /threw: <img src=x onerror="window.__pwned = 3">/)
    assert.match(await text(hostile.locator('pre.log')), /<script>window.__pwned = 2<\/script> <\/pre><\/td><\/table>/)

    // The timeline: every attempt in its data, drawn on the canvas, the critical path among them.
    const data = await gantt(page)
    assert.equal(data.restarts.length, 1, 'the restart is marked')
    const issued = (await readEvents(store)).filter((e) => e.type === 'JobIssued').length
    assert.equal(data.attempts.length / GANTT_STRIDE, issued)
    assert.equal(issued, stats.totals.attempts)
    const critical = data.attempts.filter((_, i) => i % GANTT_STRIDE === GANTT_FIELDS.indexOf('critical')).reduce((a, b) => a + b, 0)
    assert.equal(critical, stats.criticalPath.steps.length)
    const painted = await page.evaluate(() => {
      const canvas = document.getElementById('gantt') as HTMLCanvasElement
      const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray()
      const counts = { green: 0, red: 0 }
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i] === 0x3f && pixels[i + 1] === 0x9a && pixels[i + 2] === 0x5c) counts.green++
        if (pixels[i] === 0xd6 && pixels[i + 1] === 0x45 && pixels[i + 2] === 0x41) counts.red++
      }
      return counts
    })
    assert.ok(painted.green > 500 && painted.red > 0, `succeeded and failed attempts are drawn (${JSON.stringify(painted)})`)
    // Hovering over an attempt names it.
    const box = await page.locator('#gantt').boundingBox()
    assert.ok(box)
    const laneHeight = Number(await page.locator('#gantt').getAttribute('data-lane-height'))
    const target = await page.evaluate(() => {
      const d = JSON.parse(document.getElementById('gantt-data')?.textContent ?? '{}') as { attempts: number[]; names: string[]; end: number; t0: number }
      return d
    })
    const longest = (() => {
      let best = 0
      for (let i = 0; i < target.attempts.length; i += GANTT_STRIDE) {
        const len = (a: number) => target.attempts[a + GANTT_FIELDS.indexOf('end')] - target.attempts[a + GANTT_FIELDS.indexOf('start')]
        if (len(i) > len(best)) best = i
      }
      return best
    })()
    const at = (f: (typeof GANTT_FIELDS)[number]) => target.attempts[longest + GANTT_FIELDS.indexOf(f)]
    const x = box.x + ((at('start') + at('end')) / 2 / (target.end - target.t0)) * box.width
    const y = box.y + 24 + at('lane') * laneHeight + laneHeight / 2
    await page.mouse.move(x, y)
    const tip = await text(page.locator('#gantt-tip'))
    assert.ok(tip.startsWith(`job ${at('job')} · ${target.names[at('name')]}\nattempt ${at('attempt')}: `), tip)

    // A drag zooms in; a double-click zooms out.
    const zoomed = () => page.locator('#gantt-reset').evaluate((b) => getComputedStyle(b).visibility)
    assert.equal(await zoomed(), 'hidden')
    await page.mouse.move(box.x + box.width * 0.5, box.y + 30)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.8, box.y + 30, { steps: 4 })
    await page.mouse.up()
    assert.equal(await zoomed(), 'visible')
    await page.locator('#gantt').dblclick()
    assert.equal(await zoomed(), 'hidden')

    // The critical path.
    assert.match(await text(page.locator('#critical-summary')), /running .*, waiting .*, \d+ attempt\(s\)/)
    assert.equal(await page.locator('#critical-table tbody tr').count(), stats.criticalPath.steps.length)

    assert.deepEqual(attempted, [], 'the page asked for nothing')
    assert.deepEqual(errors, [])
    await page.mouse.move(0, 0)
    const shot = join(dir, 'report.png')
    await page.screenshot({ path: shot, fullPage: true })
    if (existsSync('/work/briefs')) copyFileSync(shot, '/work/briefs/report.png')
  } finally {
    if (leader.exitCode === null) {
      writeFileSync(gateFile, '')
      await run
    }
  }
})

test('report: bad input is one line, exit 2, no report written and the store as it was', async (t) => {
  const dir = scratch(t, 'jobtree-report-bad-')
  const store = join(dir, 'store')
  const made = await jobtree(['run', MODULE, '--target', 'reportRun', '--store', store, '--input', '{"work":2,"broken":1,"flaky":0}', '--no-progress'])
  assert.equal(made.code, 1, made.stderr)
  const damaged = join(dir, 'damaged')
  // A log edited behind jobtree's back: a job finishes that was never created.
  let altered = false
  await copyStore(store, damaged, (r) => {
    if (altered || r.event.type !== 'JobFinished') return r.event
    altered = true
    return { ...r.event, jobId: 9999 }
  })
  const notStore = join(dir, 'plain')
  mkdirSync(notStore)
  const cases: Array<[string, string[], RegExp]> = [
    ['a missing store', [join(dir, 'nowhere')], /^jobtree: error: no store at \S+\/nowhere$/],
    ['a directory that is no store', [notStore], /^jobtree: error: \S+\/plain is not a jobtree store \(no readable jobtree\.json\)$/],
    ['a damaged log', [damaged], /^jobtree: error: event \d+ \(JobFinished\) in \S+ contradicts the log before it: .*9999/],
    [
      'an output in a missing directory',
      [store, '-o', join(dir, 'no', 'such', 'r.html')],
      /^jobtree: error: cannot write the report to \S+: the directory \S+\/no\/such does not exist$/,
    ],
    ['an output that is a directory', [store, '-o', notStore], /^jobtree: error: cannot write the report to \S+\/plain: it is a directory$/],
  ]
  const before = { store: await logDigest(store), damaged: await logDigest(damaged) }
  for (const [what, args, message] of cases) {
    const r = await jobtree(['report', ...args, ...(args.includes('-o') ? [] : ['-o', join(dir, 'r.html')])])
    assert.equal(r.code, 2, `${what}: ${r.stderr}`)
    assert.match(r.stderr.trim(), message, what)
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`)
    assert.equal(existsSync(join(dir, 'r.html')), false, `${what}: no report`)
  }
  assert.deepEqual({ store: await logDigest(store), damaged: await logDigest(damaged) }, before)
  assert.deepEqual(readdirSync(notStore), [])
})
