// The words and block of `jobtree run`'s progress, and its summary: given
// counts and what a leader tallied, then the lines.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { progressBlock, progressText, runSummary, type ProgressView } from '../src/cli/progressView.ts'
import { RunTally } from '../src/audit/runTally.ts'
import { initialState, type Counts, type JobTreeState } from '../src/decider/jobTreeState.ts'
import type { JobEvent, JobSpec } from '../src/events/catalogue.ts'

const spec = (name: string): JobSpec => ({ work: { kind: 'target', target: name, input: null }, resources: { cores: 1, memory: 0, disk: 0 } }) as JobSpec
const counts = (c: Partial<Counts>): Counts => ({ total: 0, waiting: 0, ready: 0, issued: 0, succeeded: 0, failed: 0, ...c })

/** A tally of jobs 0.. created with the given targets, the first `done` of them finished. */
function tally(names: string[], done = 0, failedAttempts = 0): RunTally {
  const t = new RunTally()
  const events: JobEvent[] = names.map(
    (name, jobId) => ({ v: 1, at: 1, type: 'JobCreated', jobId, parent: jobId - 1, relation: jobId === 0 ? 'root' : 'child', spec: spec(name) }) as JobEvent,
  )
  for (let jobId = 0; jobId < done; jobId++)
    events.push({
      v: 1,
      at: 2,
      type: 'JobFinished',
      jobId,
      attempt: 1,
      value: null,
      stats: { wallMs: 10, cpuMs: 5, maxRss: 0 },
      successors: { first: 0, children: 0, followOns: 0 },
    })
  for (let i = 0; i < failedAttempts; i++) {
    events.push({
      v: 1,
      at: 3,
      type: 'JobFailed',
      jobId: names.length - 1,
      attempt: i + 1,
      reason: { kind: 'exception', message: 'x' },
      stats: { wallMs: 1, cpuMs: 1, maxRss: 0 },
    })
    events.push({ v: 1, at: 3, type: 'JobRetried', jobId: names.length - 1, attempt: i + 1 } as JobEvent)
  }
  t.add(events)
  return t
}

const view = (v: Partial<ProgressView>): ProgressView => ({
  counts: counts({}),
  running: undefined,
  tally: new RunTally(),
  elapsedMs: 0,
  rate: undefined,
  finished: false,
  ...v,
})

test('the plain line: issued until the batch system says, then running and queued; waiting jobs at the end are blocked', () => {
  const table: Array<[Partial<ProgressView>, string]> = [
    [{ counts: counts({ total: 5, issued: 3, succeeded: 2 }) }, 'jobs: 2 done, 3 issued, 0 ready, 0 waiting, 0 failed'],
    [
      { counts: counts({ total: 5, issued: 3, succeeded: 2 }), running: new Map([['a', 1]]) },
      'jobs: 2 done, 1 running, 2 queued, 0 ready, 0 waiting, 0 failed',
    ],
    [
      { counts: counts({ total: 3, waiting: 1, failed: 1, succeeded: 1 }), finished: true },
      'jobs: 1 done, 0 issued, 0 ready, 1 blocked by a failure, 1 failed',
    ],
    [
      { counts: counts({ total: 3, succeeded: 3 }), tally: tally(['a', 'b'], 0, 2) },
      'jobs: 3 done, 0 issued, 0 ready, 0 waiting, 0 failed; attempts: 2 failed, 2 retried',
    ],
  ]
  for (const [given, then] of table) assert.equal(progressText(view(given)), then)
})

test('the block: a bar, the phases, a line a target with its running attempts; no line wider than the terminal', () => {
  const t = tally(['root', 'align', 'align', 'call'], 2)
  const lines = progressBlock(
    view({ counts: counts({ total: 4, succeeded: 2, issued: 2 }), running: new Map([['align', 1]]), tally: t, elapsedMs: 1500, rate: 2.5 }),
    100,
    false,
  )
  assert.deepEqual(lines, [
    '############............ 2/4 jobs done (50%) · 2.5 jobs/s · 1.50 s',
    '2 done, 1 running, 1 queued, 0 ready, 0 waiting, 0 failed',
    '  root   1/1 done  0 running',
    '  align  1/2 done  1 running',
    '  call   0/1 done  0 running',
  ])
  for (const line of progressBlock(view({ counts: counts({ total: 4 }), tally: t }), 20, true)) assert.ok(line.length <= 20, line)
})

test('the block: past eight targets, those with work left first and the rest counted', () => {
  const names = Array.from({ length: 12 }, (_, i) => `t${i}`)
  const lines = progressBlock(view({ counts: counts({ total: 12, succeeded: 6 }), tally: tally(names, 6) }), 200, true)
  assert.equal(lines.length, 2 + 7 + 1)
  assert.deepEqual(
    lines.slice(2, 9).map((l) => l.trim().split(/\s+/)[0]),
    ['t6', 't7', 't8', 't9', 't10', 't11', 't0'],
  )
  assert.equal(lines.at(-1), '  … and 5 more target(s)')
})

test('the summary: how the run ended, its time, its attempts and CPU; a restart says what was this leader', () => {
  const state = (s: Partial<JobTreeState>): JobTreeState => ({ ...initialState, startedAt: 1000, epoch: 1, ...s })
  const done = tally(['a', 'b'], 2, 1)
  const finished = (ok: boolean) => ({
    v: 1 as const,
    at: 61_000,
    type: 'WorkflowFinished' as const,
    ok,
    succeeded: 2,
    failed: ok ? 0 : 1,
    neverRan: ok ? 0 : 1,
  })
  const table: Array<[JobTreeState, RunTally | undefined, string]> = [
    [
      state({ counts: counts({ total: 2, succeeded: 2 }), finished: finished(true) }),
      done,
      'workflow finished in 1m 00s: 2 jobs succeeded; attempts: 1 failed, 1 retried; CPU 11 ms (store /s)',
    ],
    [
      state({ counts: counts({ total: 4, succeeded: 2, failed: 1, waiting: 1 }), finished: finished(false), epoch: 2 }),
      done,
      'workflow failed after 1m 00s (this leader: 5.00 s): 2 jobs succeeded, 1 failed completely, 1 blocked by a failure; attempts: 1 failed, 1 retried; CPU 11 ms under this leader (store /s)',
    ],
    [state({ counts: counts({ total: 2, succeeded: 2 }), finished: finished(true) }), undefined, 'workflow finished in 1m 00s: 2 jobs succeeded (store /s)'],
  ]
  for (const [s, t, then] of table) assert.equal(runSummary(s, t, 5000, '/s'), then)
  assert.match(
    runSummary(state({ counts: counts({ total: 9, succeeded: 4 }) }), done, 5000, '/s'),
    /^leader stopped after .+: 4 of 9 jobs done, the rest to run on a restart; attempts: 1 failed/,
  )
})
