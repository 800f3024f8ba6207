// The merge-sort example, on the file store: on 12,000 random lines, clean
// and with injected failures (after a job wrote its file) and restarts; on
// 100,000 lines with failures and the leader SIGKILLed 20 times. Each time
// the output is right, no job was handed a file of an attempt that failed,
// and the store's files/ holds exactly what the log leaves visible.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { readLines } from '../examples/sort.ts'
import { leaderStatus } from '../src/audit/statusReport.ts'
import { storePaths } from '../src/store/store.ts'
import { finished, jobtree, readEvents, repo, scratch, sleep, startJobtree } from './helpers/cli.ts'
import { eventually } from './helpers/processes.ts'
import type { JobEvent } from '../src/events/catalogue.ts'
import { createdJobs } from '../src/events/jobsOf.ts'
import { filesOfFailedAttempts, stateOf, storeFilesProblems } from './helpers/invariants/files.ts'

function setUp(t: TestContext, seed: number, lines = 12_000) {
  const dir = scratch(t, 'jobtree-sort-')
  const input = join(dir, 'lines.txt')
  const output = join(dir, 'sorted.txt')
  execFileSync(process.execPath, [join(repo, 'examples', 'make-lines.mjs'), input, String(lines), String(seed)])
  const expected = readLines(input).sort()
  assert.equal(expected.length, lines)
  const args = (extra: object) => [
    'run',
    'examples/sort.ts',
    '--target',
    'sort',
    '--store',
    join(dir, 'store'),
    '--no-progress',
    '--log-level',
    'warn',
    '--input',
    JSON.stringify({ file: input, output, ...extra }),
  ]
  return { input, output, expected, args, store: join(dir, 'store'), lines }
}

/** The run's files against its log: only what is visible is there, whole, and nothing of a failed attempt reached a job. */
async function checkFiles(store: string): Promise<JobEvent[]> {
  const events = await readEvents(store)
  assert.deepEqual(storeFilesProblems(join(store, 'files'), events), [])
  assert.deepEqual(filesOfFailedAttempts(events), [])
  // What a finished run keeps: the sorted file, named by the root's value and exported.
  const visible = [...stateOf(events).files.entries()].map(([, f]) => f)
  assert.equal(visible.length, 1, `one file left, not ${visible.map((f) => f.id).join(', ')}`)
  assert.equal(visible[0].exported, true)
  return events
}

test('sort: a clean run sorts the file', async (t) => {
  const s = setUp(t, 1)
  const r = await jobtree(s.args({ maxBytes: 20_000 }))
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(readLines(s.output), s.expected)
  const value = JSON.parse(r.stdout.trim())
  assert.deepEqual({ ...value, file: undefined }, { output: s.output, lines: s.lines, file: undefined })
  assert.match(value.file, /^file:/)
  const events = await checkFiles(s.store)
  const jobs = events.flatMap((e) => [...createdJobs(e)]).length
  assert.ok(jobs > 40, `expected a real tree, got ${jobs} jobs`)
  assert.equal(events.filter((e) => e.type === 'JobFinished').length, jobs)
  assert.equal(events.at(-1)?.type, 'WorkflowFinished')
})

test('sort: jobs failing half of the time, retried twice, restarted until complete', async (t) => {
  const s = setUp(t, 2)
  const first = await jobtree([...s.args({ maxBytes: 20_000, failRate: 0.5 }), '--retry-count', '2'])
  let last = first
  let runs = 1
  while (last.code === 1 && runs < 40) {
    assert.match(last.stderr, /failed completely/)
    last = await jobtree(['run', 'examples/sort.ts', '--store', s.store, '--restart', '--no-progress', '--log-level', 'warn'])
    runs += 1
  }
  assert.equal(last.code, 0, last.stderr)
  assert.deepEqual(readLines(s.output), s.expected)
  const events = await checkFiles(s.store)
  assert.ok(
    events.some((e) => e.type === 'JobRetried'),
    'some attempts were retried',
  )
  // retryCount 2: never more than 3 failed attempts of a job between revivals.
  const failures = new Map<number, number>()
  for (const e of events) {
    if (e.type === 'JobFailed') failures.set(e.jobId, (failures.get(e.jobId) ?? 0) + 1)
    if (e.type === 'JobRevived') failures.set(e.jobId, 0)
    if (e.type === 'JobFailedCompletely') assert.equal(failures.get(e.jobId), 3)
    if (e.type === 'JobFailed') assert.ok((failures.get(e.jobId) ?? 0) <= 3)
  }
})

/** Jobs the running leader of `store` reports done (Infinity once it has exited, so that waits end). */
async function succeeded(store: string, exited: Promise<unknown>): Promise<number> {
  let gone = false
  void exited.then(() => (gone = true))
  for (;;) {
    try {
      return (await leaderStatus(storePaths(store))).counts.succeeded
    } catch {
      await sleep(20)
      if (gone) return Infinity
    }
  }
}

test('sort: 100,000 lines, jobs failing after writing, the leader SIGKILLed 20 times at random instants, then restarted to the end', async (t) => {
  const s = setUp(t, 3, 100_000)
  let seed = 12345
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed / 2 ** 32
  }
  let kills = 0
  const initial = [...s.args({ maxBytes: 20_000, failRate: 0.1 }), '--retry-count', '5']
  // Until the store exists, the run is started again from scratch.
  const args = () => (existsSync(join(s.store, 'jobtree.json')) ? [...initial, '--restart'] : initial)
  let completedEarly = false
  while (kills < 20) {
    const child = startJobtree(args())
    const result = finished(child)
    // Kill mid-run, whatever the machine's load: once this leader has
    // finished a random number of further jobs, at a random instant after.
    const target = (await succeeded(s.store, result)) + 1 + Math.floor(random() * 25)
    await eventually('the leader made progress', async () => (await succeeded(s.store, result)) >= target, 60_000)
    await sleep(random() * 100)
    const killed = child.kill('SIGKILL')
    const r = await result
    // A kill may land after the run finished, as its leader shuts down: that run ended on its own.
    const ended = (await readEvents(s.store)).some((e) => e.type === 'WorkflowFinished')
    if (r.signal === 'SIGKILL' && killed && !ended) kills += 1
    else if (r.code === 0 || ended) {
      completedEarly = true
      break
    } else assert.fail(`leader exited ${r.code}: ${r.stderr}`)
  }
  assert.ok(completedEarly || kills === 20)
  let final = await jobtree(args())
  // A job may still fail completely (6 failures in a row, one time in a million): a restart revives it.
  for (let runs = 0; final.code === 1 && runs < 5; runs++) final = await jobtree(args())
  assert.equal(final.code, 0, final.stderr)
  assert.deepEqual(readLines(s.output), s.expected)
  const events = await checkFiles(s.store)
  assert.ok(events.filter((e) => e.type === 'WorkflowResumed').length >= kills, 'every kill was mid-run, and was resumed')
  // Nothing finished twice: every job has exactly one JobFinished.
  const done = new Map<number, number>()
  for (const e of events) if (e.type === 'JobFinished') done.set(e.jobId, (done.get(e.jobId) ?? 0) + 1)
  assert.ok([...done.values()].every((n) => n === 1))
  assert.equal(done.size, events.flatMap((e) => [...createdJobs(e)]).length)
})
