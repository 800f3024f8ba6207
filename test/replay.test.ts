// `jobtree replay`: the tree at any position, one job's history, and the
// determinism check, through the real command line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { JobEvent } from '../src/events/catalogue.ts'
import { createdJobs } from '../src/events/jobsOf.ts'
import { copyStore, recordedRun } from './helpers/audit.ts'
import { jobtree, readEvents, scratch } from './helpers/cli.ts'

interface TreeJson {
  seq: number
  lastSeq: number
  counts: { total: number; succeeded: number; issued: number; ready: number; waiting: number }
  finished: { ok: boolean } | null
  jobs: Array<{
    id: number
    parent: number
    relation: string
    name: string
    depth: number
    state: string
    attempts: number
    failures: number
    runMs: number | null
  }>
}

async function json<T>(args: string[]): Promise<T> {
  const r = await jobtree(args)
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as T
}

test('replay: the tree at the end, at a position, and at a time', async (t) => {
  const dir = scratch(t)
  await recordedRun(dir, 'tree', 3)
  const store = join(dir, 'store')
  const events = await readEvents(store)
  const end = await json<TreeJson>(['replay', store, '--json'])
  assert.equal(end.seq, events.length)
  assert.equal(end.lastSeq, events.length)
  assert.equal(end.finished?.ok, true)
  // tree → leaf 0..2, flakyParent (→ leaf), command, follow-on total: 8 jobs, depth first.
  assert.deepEqual(
    end.jobs.map((j) => [j.id, j.depth, j.name]),
    [
      [0, 0, 'tree'],
      [1, 1, 'leaf'],
      [2, 1, 'leaf'],
      [3, 1, 'leaf'],
      [4, 1, 'flakyParent'],
      [7, 2, 'leaf'],
      [5, 1, 'command: true'],
      [6, 1, 'total'],
    ],
  )
  assert.ok(end.jobs.every((j) => j.state === 'done'))
  assert.deepEqual(
    end.jobs.find((j) => j.id === 4),
    { ...end.jobs.find((j) => j.id === 4), attempts: 2, failures: 1 },
  )
  assert.equal(end.jobs.find((j) => j.id === 6)?.relation, 'followOn')

  // Just after the root's successors exist: the root succeeded, its children wait to be issued, the follow-on waits.
  const created = events.findIndex((e) => [...createdJobs(e)].some((c) => c.jobId === 6)) + 1
  const mid = await json<TreeJson>(['replay', store, '--to', String(created), '--json'])
  assert.equal(mid.seq, created)
  assert.deepEqual(Object.fromEntries(mid.jobs.map((j) => [j.id, j.state])), {
    0: 'succeeded',
    1: 'ready',
    2: 'ready',
    3: 'ready',
    4: 'ready',
    5: 'ready',
    6: 'waiting',
  })
  assert.deepEqual(mid.counts, { ...mid.counts, total: 7, succeeded: 1, ready: 5, waiting: 1, issued: 0 })

  // --at: the events recorded at or before a time, here the root's first issue.
  const issued = events.find((e): e is Extract<JobEvent, { type: 'JobIssued' }> => e.type === 'JobIssued')
  assert.ok(issued)
  const atIssue = await json<TreeJson>(['replay', store, '--at', new Date(issued.at).toISOString(), '--json'])
  const lastAtThatTime = events.findIndex((e) => e.at > issued.at)
  assert.equal(atIssue.seq, lastAtThatTime)
  assert.equal(atIssue.jobs[0].state, 'issued')
  const before = await json<TreeJson>(['replay', store, '--at', String(issued.at - 1), '--json'])
  assert.ok(before.seq < atIssue.seq)
  assert.equal(
    (await json<TreeJson>(['replay', store, '--at', '+0s', '--json'])).seq,
    events.findIndex((e) => e.at > events[0].at),
  )

  // The text form names the position and every job.
  const text = await jobtree(['replay', store, '--to', String(created)])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, new RegExp(`position: event ${created} of ${events.length}`))
  assert.match(text.stdout, /^ {2}5 command: true +ready +0 /m)
  assert.match(text.stdout, /^ {2}6 total \(follow-on\) +waiting /m)
  const shallow = await jobtree(['replay', store, '--depth', '0'])
  assert.equal(
    shallow.stdout
      .trim()
      .split('\n')
      .filter((l) => /^\s*\d+ /.test(l)).length,
    1,
  )
})

test('replay --job: every event of one job, in order, with its parents', async (t) => {
  const dir = scratch(t)
  await recordedRun(dir, 'tree', 2)
  const store = join(dir, 'store')
  // tree(2): leaves 1 and 2, the flaky parent 3 (which adds a leaf), a command and the follow-on.
  const events = await readEvents(store)
  const grandchild = events.find((e) => e.type === 'JobCreated' && e.parent === 3)
  assert.ok(grandchild?.type === 'JobCreated')
  const h = await json<{
    job: { id: number; state: string; attempts: number }
    ancestry: Array<{ id: number; name: string; relation: string }>
    events: Array<{ seq: number; type: string; jobId: number }>
  }>(['replay', store, '--job', '3', '--json'])
  assert.deepEqual(
    h.ancestry.map((a) => [a.id, a.name, a.relation]),
    [
      [3, 'flakyParent', 'child'],
      [0, 'tree', 'root'],
    ],
  )
  assert.deepEqual(
    h.events.map((e) => e.type),
    ['JobCreated', 'JobIssued', 'JobFailed', 'JobRetried', 'JobIssued', 'MessageLogged', 'JobFinished', 'JobCreated'],
  )
  assert.equal(h.events.at(-1)?.jobId, grandchild.jobId, 'the job it created is part of its history')
  const seqs = h.events.map((e) => e.seq)
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
  )
  assert.deepEqual(h.job, { ...h.job, id: 3, state: 'done', attempts: 2 })
  const child = await jobtree(['replay', store, '--job', String(grandchild.jobId)])
  assert.match(child.stdout, new RegExp(`^job ${grandchild.jobId} \\(leaf\\): child of job 3 \\(flakyParent\\), child of job 0 \\(tree\\)`))
  assert.match(child.stdout, /JobFinished +job \d+ \(leaf\) attempt 1 succeeded/)
})

test("replay --verify: decide gives back a real run's log, and names the one event altered", async (t) => {
  const dir = scratch(t)
  await recordedRun(dir, 'tree', 4)
  const store = join(dir, 'store')
  const ok = await jobtree(['replay', store, '--verify'])
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  const events = await readEvents(store)
  assert.match(ok.stdout, new RegExp(`^verified: ${events.length} events from \\d+ inputs`))

  // A retry recorded as a give-up: decide would have retried.
  const retried = events.findIndex((e) => e.type === 'JobRetried') + 1
  assert.ok(retried > 0)
  const edited = join(dir, 'edited')
  await copyStore(store, edited, (r) =>
    r.seq === retried && r.event.type === 'JobRetried' ? { type: 'JobFailedCompletely', v: 1, at: r.event.at, jobId: r.event.jobId } : r.event,
  )
  const bad = await jobtree(['replay', edited, '--verify', '--json'])
  assert.equal(bad.code, 1, bad.stderr)
  const report = JSON.parse(bad.stdout) as { ok: boolean; events: number; divergence: { seq: number; recorded: { type: string }; decided: { type: string } } }
  assert.equal(report.ok, false)
  assert.equal(report.divergence.seq, retried)
  assert.equal(report.divergence.recorded.type, 'JobFailedCompletely')
  assert.equal(report.divergence.decided.type, 'JobRetried')
  assert.ok(report.events < retried)

  // An issue with the wrong attempt number, in text.
  const issue = events.findIndex((e, i) => i > 3 && e.type === 'JobIssued') + 1
  const edited2 = join(dir, 'edited2')
  await copyStore(store, edited2, (r) => (r.seq === issue && r.event.type === 'JobIssued' ? { ...r.event, epoch: 7 } : r.event))
  const bad2 = await jobtree(['replay', edited2, '--verify'])
  assert.equal(bad2.code, 1)
  assert.match(bad2.stdout, new RegExp(`^verify failed at event ${issue} \\(JobIssued\\)`))
  assert.match(bad2.stdout, /recorded: .*"epoch":7/)
  // Everything before the altered event still verifies.
  assert.equal((await jobtree(['replay', edited2, '--verify', '--to', String(issue - 1)])).code, 0)
})

test('replay: bad options are refused with exit code 2 and one line', async (t) => {
  const dir = scratch(t)
  await recordedRun(dir, 'tree', 1)
  const store = join(dir, 'store')
  const cases: Array<[string[], RegExp]> = [
    [['--to', '100000'], /--to 100000 is past the end of the log, which has \d+ events/],
    [['--to', '3', '--at', '+1s'], /give --to or --at, not both/],
    [['--job', '99'], /job 99 does not exist at event \d+ \(jobs 0 to \d+ were\)/],
    [['--job', '1', '--verify'], /--job and --verify cannot be combined/],
    [['--to', '0'], /expected an event number/],
    [['--at', 'yesterday'], /expected a time/],
    [['--step'], /--step needs a terminal/],
  ]
  for (const [args, message] of cases) {
    const r = await jobtree(['replay', store, ...args])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`)
    assert.match(r.stderr, message)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  }
  const missing = await jobtree(['replay', join(dir, 'nothing')])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /no store at/)
})
