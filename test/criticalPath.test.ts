// The critical path, as given-events / when-events / then-path tables.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { JobEvent, JobSpec, RunConfig } from '../src/events/catalogue.ts'
import { makeToken } from '../src/events/promise.ts'
import { emptyAudit, evolveAudit } from '../src/audit/auditState.ts'
import { criticalPath, type PathStep } from '../src/audit/criticalPath.ts'
import { jobCreated, jobFailed, jobFinished, jobIssued, targetSpec, workflowStarted } from './helpers/events.ts'

// Job n runs target `jn` (the root, `root`), so that a path reads as the jobs on it.
const config: RunConfig = { retryCount: 1, maxJobs: 10, maxCores: 4, maxMemory: 2 ** 30, maxDisk: 2 ** 30 }
const spec = (target: string, input: unknown = null): JobSpec => targetSpec(target, input)
const begin = (at: number): JobEvent[] => [workflowStarted(at, config), jobCreated(at, 0, -1, 'root', spec('root'))]
const issue = (jobId: number, at: number, attempt = 1, more: { reserved?: number; chainedFrom?: number } = {}): JobEvent => jobIssued(at, jobId, attempt, more)

interface Success {
  /** Measured run time (default: all the time since its issue). */
  wallMs?: number
  children?: number[]
  followOns?: number[]
  /** Inputs of the successors it adds, by id (default null). */
  inputs?: Record<number, unknown>
  attempt?: number
}

/** Job `jobId` succeeded at `at`, `issuedAt` being when it was issued; its successors are created at once, as the leader records them. */
function done(jobId: number, issuedAt: number, at: number, s: Success = {}): JobEvent[] {
  const { children = [], followOns = [], attempt = 1 } = s
  const first = children[0] ?? followOns[0] ?? 0
  const stats = { wallMs: s.wallMs ?? at - issuedAt, cpuMs: 0, maxRss: 0 }
  const adds = [...children.map((id) => [id, 'child'] as const), ...followOns.map((id) => [id, 'followOn'] as const)]
  return [
    jobFinished(at, jobId, attempt, { first, children: children.length, followOns: followOns.length }, null, stats),
    ...adds.map(([id, relation]) => jobCreated(at, id, jobId, relation, spec(`j${id}`, s.inputs?.[id] ?? null))),
  ]
}

/** Attempt `attempt` of `jobId` failed at `at`, after running `wallMs`; then it is retried (held back until `notBefore`, when given) or given up. */
function failed(jobId: number, at: number, wallMs: number, attempt: number, then: 'retried' | 'gaveUp', notBefore?: number): JobEvent[] {
  const failure = jobFailed(at, jobId, attempt, { kind: 'exit', code: 1 }, { wallMs, cpuMs: 0, maxRss: 0 })
  if (then === 'gaveUp') return [failure, { type: 'JobFailedCompletely', v: 1, at, jobId }]
  return [failure, { type: 'JobRetried', v: 1, at, jobId, ...(notBefore === undefined ? {} : { notBefore }) }]
}

// The root, created at 100, issued at 110; it adds children 1 and 2 at 200 (and follow-on 3, in `family`).
const rootOut = [...begin(100), issue(0, 110)]
const fanOut = [...rootOut, ...done(0, 110, 200, { children: [1, 2] }), issue(1, 210), issue(2, 210)]
const family = [...rootOut, ...done(0, 110, 200, { children: [1, 2], followOns: [3] }), issue(1, 210), issue(2, 210)]

interface Case {
  name: string
  given: JobEvent[]
  when: JobEvent[]
  /** The path as `name#attempt` (and the outcome, when not a success), and its totals; `steps` checks the fields it names. */
  then: { path: string[]; totalMs: number; waitMs: number; runMs: number; steps?: Array<Partial<PathStep>> }
}

const cases: Case[] = [
  { name: 'while no attempt has ended there is no path', given: begin(100), when: [issue(0, 110)], then: { path: [], totalMs: 0, waitMs: 0, runMs: 0 } },
  {
    name: 'the root alone: it waits from its creation to the start of its run, the time issued but not yet running included',
    given: rootOut,
    when: done(0, 110, 200, { wallMs: 80 }),
    then: {
      path: ['root#1'],
      totalMs: 100,
      waitMs: 20,
      runMs: 80,
      steps: [{ jobId: 0, name: 'root', readyAt: 100, startAt: 120, endAt: 200, waitMs: 20, runMs: 80 }],
    },
  },
  {
    name: 'a chain of follow-ons is the path, first to last; its wait and run make up its length',
    given: [...rootOut, ...done(0, 110, 200, { followOns: [1] }), issue(1, 210), ...done(1, 210, 300, { followOns: [2] }), issue(2, 300)],
    when: done(2, 300, 450),
    then: { path: ['root#1', 'j1#1', 'j2#1'], totalMs: 350, waitMs: 20, runMs: 330 },
  },
  {
    name: 'of a fan-out, the branch that ended last is on the path',
    given: [...rootOut, ...done(0, 110, 200, { children: [1, 2, 3] }), issue(1, 210), issue(2, 210), issue(3, 220), ...done(1, 210, 300), ...done(3, 220, 400)],
    when: done(2, 210, 600),
    then: { path: ['root#1', 'j2#1'], totalMs: 500, waitMs: 20, runMs: 480 },
  },
  {
    name: 'a follow-on comes after the child whose end released it, the longest branch',
    given: [...family, ...done(2, 210, 300), ...done(1, 210, 500), issue(3, 510)],
    when: done(3, 510, 600),
    then: {
      path: ['root#1', 'j1#1', 'j3#1'],
      totalMs: 500,
      waitMs: 30,
      runMs: 470,
      steps: [{ jobId: 0 }, { jobId: 1, readyAt: 200, endAt: 500 }, { jobId: 3, readyAt: 500, startAt: 510, waitMs: 10 }],
    },
  },
  {
    name: "a follow-on waiting for its parent's grandchildren comes after the last of them",
    given: [
      ...rootOut,
      ...done(0, 110, 200, { children: [1], followOns: [2] }),
      issue(1, 210),
      ...done(1, 210, 300, { children: [3] }),
      issue(3, 300),
      ...done(3, 300, 700),
      issue(2, 700),
    ],
    when: done(2, 700, 800),
    then: { path: ['root#1', 'j1#1', 'j3#1', 'j2#1'], totalMs: 700, waitMs: 20, runMs: 680 },
  },
  {
    name: 'a job waiting for a promise comes after its producer',
    given: [
      ...rootOut,
      ...done(0, 110, 200, { children: [1, 2], inputs: { 2: makeToken({ job: 1, path: [] }) } }),
      issue(1, 210),
      ...done(1, 210, 500),
      issue(2, 520),
    ],
    when: done(2, 520, 600),
    then: { path: ['root#1', 'j1#1', 'j2#1'], totalMs: 500, waitMs: 40, runMs: 460 },
  },
  {
    name: 'a chained job comes after the job it was chained from, with no wait',
    given: [
      ...rootOut,
      ...done(0, 110, 200, { followOns: [1] }),
      issue(1, 210, 1, { reserved: 4 }),
      ...done(1, 210, 300, { followOns: [2] }),
      issue(2, 300, 1, { chainedFrom: 1 }),
    ],
    when: done(2, 300, 420),
    then: { path: ['root#1', 'j1#1', 'j2#1'], totalMs: 320, waitMs: 20, runMs: 300, steps: [{}, {}, { readyAt: 300, waitMs: 0 }] },
  },
  {
    name: 'ties: of attempts that ended at the same time, the path ends at the first, by job id',
    given: [...fanOut, ...done(2, 210, 300)],
    when: done(1, 210, 300),
    then: { path: ['root#1', 'j1#1'], totalMs: 200, waitMs: 20, runMs: 180 },
  },
  {
    name: 'ties: a follow-on comes after the child the log saw end last, among those ending at once',
    given: [...family, ...done(1, 210, 300), ...done(2, 210, 300), issue(3, 310)],
    when: done(3, 310, 400),
    then: { path: ['root#1', 'j2#1', 'j3#1'], totalMs: 300, waitMs: 30, runMs: 270 },
  },
  {
    name: 'a retried attempt follows the one that failed; the retry waits from its queueing',
    given: [...rootOut, ...failed(0, 150, 40, 1, 'retried'), issue(0, 160, 2)],
    when: done(0, 160, 260, { attempt: 2 }),
    then: {
      path: ['root#1 failed', 'root#2'],
      totalMs: 160,
      waitMs: 20,
      runMs: 140,
      steps: [
        { startAt: 110, endAt: 150, runMs: 40 },
        { readyAt: 150, startAt: 160 },
      ],
    },
  },
  {
    name: "a retry's backoff is neither wait nor run: the path's length spans it",
    given: [...rootOut, ...failed(0, 150, 40, 1, 'retried', 1150), { type: 'JobBackoffElapsed', v: 1, at: 1150, jobId: 0 }, issue(0, 1150, 2)],
    when: done(0, 1150, 1250, { attempt: 2 }),
    then: { path: ['root#1 failed', 'root#2'], totalMs: 1150, waitMs: 10, runMs: 140, steps: [{}, { readyAt: 1150, waitMs: 0 }] },
  },
  {
    name: 'a run resumed by a new leader: the abandoned attempt, unmeasured, runs from its issue to its abandonment',
    given: [
      ...rootOut,
      { type: 'WorkflowResumed', v: 1, at: 5000, epoch: 2, config },
      { type: 'JobAbandoned', v: 1, at: 5000, jobId: 0, attempt: 1, reason: 'x' },
    ],
    when: [issue(0, 5010, 2), ...done(0, 5010, 5100, { attempt: 2 })],
    then: {
      path: ['root#1 abandoned', 'root#2'],
      totalMs: 5000,
      waitMs: 10,
      runMs: 4980,
      steps: [
        { startAt: undefined, endAt: 5000, waitMs: 0, runMs: 4890 },
        { readyAt: 5000, waitMs: 10, runMs: 90 },
      ],
    },
  },
  {
    name: 'a run that failed ends its path at the failure that ended last',
    given: [...fanOut, ...done(2, 210, 300)],
    when: failed(1, 400, 190, 1, 'gaveUp'),
    then: { path: ['root#1', 'j1#1 failed'], totalMs: 300, waitMs: 20, runMs: 280 },
  },
  {
    name: 'an attempt measured longer than it was out starts at its issue, and its run is what was measured',
    given: rootOut,
    when: done(0, 110, 150, { wallMs: 100 }),
    then: { path: ['root#1'], totalMs: 50, waitMs: 10, runMs: 100, steps: [{ startAt: 110, endAt: 150 }] },
  },
]

function pathOf(events: JobEvent[]) {
  return criticalPath(events.reduce((s, event, i) => evolveAudit(s, { seq: i + 1, event }), emptyAudit).timeline)
}

for (const c of cases) {
  test(`critical path: ${c.name}`, () => {
    const p = pathOf([...c.given, ...c.when])
    const { steps, ...totals } = p
    const path = steps.map((s) => `${s.name}#${s.attempt}${s.outcome === 'succeeded' ? '' : ` ${s.outcome}`}`)
    assert.deepEqual({ path, ...totals }, { path: c.then.path, totalMs: c.then.totalMs, waitMs: c.then.waitMs, runMs: c.then.runMs })
    c.then.steps?.forEach((expected, i) => {
      const named = Object.fromEntries(Object.keys(expected).map((key) => [key, steps[i][key as keyof PathStep]]))
      assert.deepEqual(named, expected, `step ${i}`)
    })
  })
}
