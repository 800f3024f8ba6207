// The timeline read model, as given-events / when-event / then-timeline tables.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AttemptStats, JobEvent, JobSpec, RunConfig } from '../src/events/catalogue.ts'
import { makeToken } from '../src/events/promise.ts'
import { emptyAudit, evolveAudit } from '../src/audit/auditState.ts'
import type { AttemptTiming, JobTimeline, Timeline } from '../src/audit/timeline.ts'
import { jobCreated, jobFailed, jobFinished, jobIssued, targetSpec, workflowStarted } from './helpers/events.ts'

// Every event gets its own time, so that a wrong field shows which event set it.
const config: RunConfig = { retryCount: 1, maxJobs: 10, maxCores: 2, maxMemory: 2 ** 30, maxDisk: 2 ** 30 }
const spec = (target = 'leaf', input: unknown = null): JobSpec => targetSpec(target, input)
const stats: AttemptStats = { wallMs: 40, cpuMs: 30, maxRss: 7 }
const boom = { kind: 'exception', message: 'boom' } as const

const started = (at: number): JobEvent => workflowStarted(at, config)
const resumed = (at: number, epoch = 2): JobEvent => ({ type: 'WorkflowResumed', v: 1, at, epoch, config })
const created = (jobId: number, parent: number, relation: 'root' | 'child' | 'followOn', at: number, s = spec()): JobEvent =>
  jobCreated(at, jobId, parent, relation, s)
const issued = (jobId: number, at: number, attempt = 1, chainedFrom?: number): JobEvent =>
  jobIssued(at, jobId, attempt, chainedFrom === undefined ? {} : { chainedFrom })
/** Its successors have ids from `first`: `children` children, then `followOns` follow-ons. */
const finished = (jobId: number, at: number, first = 0, children = 0, followOns = 0, attempt = 1): JobEvent =>
  jobFinished(at, jobId, attempt, { first, children, followOns }, null, stats)
const failed = (jobId: number, at: number, attempt = 1): JobEvent => jobFailed(at, jobId, attempt, boom)
const retried = (jobId: number, at: number, notBefore?: number): JobEvent => ({
  type: 'JobRetried',
  v: 1,
  at,
  jobId,
  ...(notBefore === undefined ? {} : { notBefore }),
})
const gaveUp = (jobId: number, at: number): JobEvent => ({ type: 'JobFailedCompletely', v: 1, at, jobId })

/** Attempt `attempt` as issued and still out; `ended` fills in its outcome. */
const out = (attempt: number, readyAt: number, readiedBy: number, issuedAt: number): AttemptTiming => ({
  attempt,
  readyAt,
  readiedBy,
  issuedAt,
  endAt: -1,
  outcome: 'out',
  stats: null,
  reason: null,
})
const ended = (a: AttemptTiming, endAt: number, outcome: AttemptTiming['outcome'], withStats = outcome === 'succeeded'): AttemptTiming => ({
  ...a,
  endAt,
  outcome,
  stats: withStats ? stats : null,
  reason: outcome === 'failed' ? boom : null,
})

// The root, created at 100 and run from 110 to 200; its success at 200 adds children 1 and 2 and follow-on 3.
const run = [started(100), created(0, -1, 'root', 100)]
const rootOut = [...run, issued(0, 110)]
const rootRan = [...rootOut, finished(0, 200, 1, 2, 1)]
const family = [...rootRan, created(1, 0, 'child', 200), created(2, 0, 'child', 200), created(3, 0, 'followOn', 200)]
const rootAttempt = ended(out(1, 100, -1, 110), 200, 'succeeded')

interface Case {
  name: string
  given: JobEvent[]
  when: JobEvent
  /** The fields named, of the jobs named and of the run; the others are not checked. */
  then: { jobs?: Record<number, Partial<JobTimeline>>; run?: Partial<Omit<Timeline, 'jobs'>> }
}

const cases: Case[] = [
  {
    name: "the root is ready from its creation, queued by no job; the run's first leader is counted",
    given: [started(100)],
    when: created(0, -1, 'root', 105, spec('root')),
    then: {
      jobs: { 0: { id: 0, parent: -1, relation: 'root', name: 'root', createdAt: 105, readyAt: 105, readiedBy: -1, attempts: [], failures: 0 } },
      run: { firstAt: 100, lastAt: 105, leaders: 1 },
    },
  },
  {
    name: 'an issue opens an attempt that carries when and by whom the job was queued',
    given: run,
    when: issued(0, 110),
    then: { jobs: { 0: { attempts: [out(1, 100, -1, 110)] } } },
  },
  {
    name: 'a success ends the attempt with its time and measurements',
    given: rootOut,
    when: finished(0, 200),
    then: { jobs: { 0: { attempts: [rootAttempt], failures: 0 } }, run: { lastAt: 200 } },
  },
  {
    name: 'children are queued by their parent when created; a follow-on waits, never queued',
    given: [...rootRan, created(1, 0, 'child', 200), created(2, 0, 'child', 200)],
    when: created(3, 0, 'followOn', 201, spec('after')),
    then: {
      jobs: {
        1: { parent: 0, relation: 'child', createdAt: 200, readyAt: 201, readiedBy: 0 },
        2: { readyAt: 201, readiedBy: 0 },
        3: { relation: 'followOn', name: 'after', createdAt: 201, readyAt: -1, readiedBy: -1 },
      },
    },
  },
  {
    name: 'jobs created in one JobsCreated each get a timeline, queued by their parent',
    given: [...rootOut, finished(0, 200, 1, 3, 0)],
    when: { type: 'JobsCreated', v: 1, at: 200, first: 1, count: 3, parent: 0, relation: 'child', spec: spec('many') },
    then: {
      jobs: { 1: { name: 'many', createdAt: 200, readyAt: 200, readiedBy: 0 }, 3: { name: 'many', createdAt: 200, readyAt: 200, readiedBy: 0 } },
    },
  },
  {
    name: 'a command job is named by its command',
    given: rootRan,
    when: created(1, 0, 'child', 200, { ...spec(), work: { kind: 'command', command: ['sort', '-n'] } }),
    then: { jobs: { 1: { name: 'command: sort -n' } } },
  },
  {
    name: 'issuing the head of the queue leaves the jobs behind it as they were queued',
    given: family,
    when: issued(1, 250),
    then: { jobs: { 1: { attempts: [out(1, 200, 0, 250)] }, 2: { readyAt: 200, readiedBy: 0, attempts: [] } } },
  },
  {
    name: 'a job queued behind others is queued by the event that added it, and the others keep their times',
    given: [...family, issued(1, 250), finished(1, 300, 4, 1, 0)],
    when: created(4, 1, 'child', 300),
    then: { jobs: { 4: { readyAt: 300, readiedBy: 1 }, 2: { readyAt: 200, readiedBy: 0 } } },
  },
  {
    name: "the follow-on is queued by the child whose end completed its parent's children",
    given: [...family, issued(1, 250), issued(2, 260), finished(1, 300)],
    when: finished(2, 400),
    then: { jobs: { 3: { readyAt: 400, readiedBy: 2 } } },
  },
  {
    name: 'a follow-on waiting for grandchildren is queued by the last of them',
    given: [...family, issued(1, 250), issued(2, 260), finished(2, 300), finished(1, 350, 4, 1, 0), created(4, 1, 'child', 350), issued(4, 360)],
    when: finished(4, 500),
    then: { jobs: { 3: { readyAt: 500, readiedBy: 4 } } },
  },
  {
    name: "a job whose input waits for a promise is queued by the producer's success",
    given: [
      ...rootOut,
      finished(0, 200, 1, 2, 0),
      created(1, 0, 'child', 200),
      created(2, 0, 'child', 200, spec('consumer', makeToken({ job: 1, path: [] }))),
      issued(1, 210),
    ],
    when: finished(1, 320),
    then: { jobs: { 2: { readyAt: 320, readiedBy: 1 } } },
  },
  {
    name: 'a failed attempt ends as failed, with its reason, and counts as a failure',
    given: rootOut,
    when: failed(0, 150),
    then: { jobs: { 0: { attempts: [ended(out(1, 100, -1, 110), 150, 'failed')], failures: 1, failedCompletely: false } } },
  },
  {
    name: 'a failed attempt the batch system measured keeps its measurements',
    given: rootOut,
    when: { type: 'JobFailed', v: 1, at: 150, jobId: 0, attempt: 1, reason: boom, stats },
    then: { jobs: { 0: { attempts: [ended(out(1, 100, -1, 110), 150, 'failed', true)] } } },
  },
  {
    name: "a retry queues the job again, by itself, at the retry's time; the run counts it",
    given: [...rootOut, failed(0, 150)],
    when: retried(0, 151),
    then: { jobs: { 0: { readyAt: 151, readiedBy: 0 } }, run: { retries: 1 } },
  },
  {
    name: 'the retry is a second attempt with its own queue time; the first keeps its own',
    given: [...rootOut, failed(0, 150), retried(0, 151)],
    when: issued(0, 160, 2),
    then: { jobs: { 0: { attempts: [ended(out(1, 100, -1, 110), 150, 'failed'), out(2, 151, 0, 160)] } } },
  },
  {
    name: 'a retry waiting out its backoff is not queued until the backoff has elapsed',
    given: [...rootOut, failed(0, 150), retried(0, 151, 2151)],
    when: { type: 'JobBackoffElapsed', v: 1, at: 2151, jobId: 0 },
    then: { jobs: { 0: { readyAt: 2151, readiedBy: 0 } } },
  },
  {
    name: 'the last failure fails the job completely',
    given: [...rootOut, failed(0, 150), retried(0, 151), issued(0, 160, 2), failed(0, 170, 2)],
    when: gaveUp(0, 170),
    then: { jobs: { 0: { failures: 2, failedCompletely: true } }, run: { retries: 1 } },
  },
  {
    name: 'a deadlocked job fails without an attempt: counted, with no attempt to end',
    given: [...rootOut, finished(0, 200, 1, 1, 1), created(1, 0, 'child', 200, spec('c', makeToken({ job: 2, path: [] }))), created(2, 0, 'followOn', 200)],
    when: { type: 'JobFailed', v: 1, at: 210, jobId: 1, attempt: 0, reason: { kind: 'deadlock', message: 'm' } },
    then: { jobs: { 1: { attempts: [], failures: 1 } } },
  },
  {
    name: 'a resumed run counts a second leader',
    given: rootOut,
    when: resumed(5000),
    then: { jobs: { 0: { attempts: [out(1, 100, -1, 110)] } }, run: { leaders: 2, firstAt: 100, lastAt: 5000 } },
  },
  {
    name: 'its new leader abandons the attempt out, unmeasured, and queues the job again by itself',
    given: [...rootOut, resumed(5000)],
    when: { type: 'JobAbandoned', v: 1, at: 5001, jobId: 0, attempt: 1, reason: 'the leader that issued it stopped' },
    then: { jobs: { 0: { attempts: [ended(out(1, 100, -1, 110), 5001, 'abandoned')], readyAt: 5001, readiedBy: 0, failures: 0 } } },
  },
  {
    name: 'a revived job is no longer failed and is queued by itself; the run counts the revival',
    given: [...rootOut, failed(0, 150), gaveUp(0, 150), resumed(5000)],
    when: { type: 'JobRevived', v: 1, at: 5001, jobId: 0 },
    then: { jobs: { 0: { failedCompletely: false, failures: 1, readyAt: 5001, readiedBy: 0 } }, run: { revivals: 1, leaders: 2 } },
  },
  {
    name: 'a chained attempt was queued by the job it follows, when created, and issued without passing through the head',
    given: [
      ...rootOut,
      finished(0, 200, 1, 2, 0),
      created(1, 0, 'child', 200),
      created(2, 0, 'child', 200),
      { type: 'JobIssued', v: 1, at: 210, jobId: 1, attempt: 1, epoch: 1, reserved: 4 },
      finished(1, 300, 3, 0, 1),
      created(3, 1, 'followOn', 300),
    ],
    when: issued(3, 300, 1, 1),
    then: { jobs: { 3: { readyAt: 300, readiedBy: 1, attempts: [out(1, 300, 1, 300)] }, 2: { readyAt: 200, attempts: [] } } },
  },
  {
    name: 'jobs whose subtree is complete, gone from the job tree, keep their timeline',
    given: [...rootOut, finished(0, 200, 1, 1, 0), created(1, 0, 'child', 200), issued(1, 210)],
    when: finished(1, 300),
    then: { jobs: { 0: { attempts: [rootAttempt] }, 1: { attempts: [ended(out(1, 200, 0, 210), 300, 'succeeded')] } } },
  },
  {
    name: 'a clock stepped back: an event is taken at the time of the one before, never earlier',
    given: rootOut,
    when: finished(0, 90),
    then: { jobs: { 0: { attempts: [ended(out(1, 100, -1, 110), 110, 'succeeded')] } }, run: { firstAt: 100, lastAt: 110 } },
  },
  {
    name: 'after a step back, the jobs an event queues are queued no earlier than the event before',
    given: [...rootOut, finished(0, 200, 1, 1, 0)],
    when: created(1, 0, 'child', 50),
    then: { jobs: { 1: { createdAt: 200, readyAt: 200 } }, run: { lastAt: 200 } },
  },
  {
    name: 'an event about no job moves only the time',
    given: rootOut,
    when: { type: 'MessageLogged', v: 1, at: 130, jobId: 0, attempt: 1, text: 'hello' },
    then: { jobs: { 0: { readyAt: 100, attempts: [out(1, 100, -1, 110)] } }, run: { lastAt: 130, leaders: 1, retries: 0, revivals: 0 } },
  },
]

const fold = (events: JobEvent[]): Timeline => events.reduce((s, event, i) => evolveAudit(s, { seq: i + 1, event }), emptyAudit).timeline

/** The fields of `actual` that `expected` names. */
function named<T extends object>(actual: T, expected: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.keys(expected).map((key) => [key, actual[key as keyof T]])) as Partial<T>
}

for (const c of cases) {
  test(`timeline: ${c.name}`, () => {
    const t = fold([...c.given, c.when])
    for (const [id, expected] of Object.entries(c.then.jobs ?? {})) {
      const job = t.jobs.get(Number(id))
      assert.ok(job, `job ${id} has a timeline`)
      assert.deepEqual(named(job, expected), expected, `job ${id}`)
    }
    const { jobs: _jobs, ...totals } = t
    if (c.then.run) assert.deepEqual(named(totals, c.then.run), c.then.run)
  })
}
