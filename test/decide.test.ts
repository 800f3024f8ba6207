// The decider, as given-events / when-input / then-events tables.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FailureReason, JobEvent, JobSpec, RunConfig, SuccessorSpec } from '../src/events/catalogue.ts'
import { makeToken, resolveTokens } from '../src/events/promise.ts'
import { CHAIN_IDS, decide } from '../src/decider/decide.ts'
import type { Input } from '../src/decider/inputs.ts'
import { evolve, valueOf } from '../src/decider/jobTree.ts'
import { initialState, type JobTreeState } from '../src/decider/jobTreeState.ts'
import { jobCreated, jobFailed, jobFinished, jobIssued, targetSpec, workflowStarted } from './helpers/events.ts'

const at = 1000
const config: RunConfig = { retryCount: 1, maxJobs: 10, maxCores: 2, maxMemory: 2 ** 30, maxDisk: 2 ** 30 }
const resources = { cores: 1, memory: 1, disk: 1, time: 0 }
const spec = (target: string, input: unknown = null, retryCount?: number): JobSpec => ({
  ...targetSpec(target, input),
  ...(retryCount === undefined ? {} : { retryCount }),
})
const stats = { wallMs: 1, cpuMs: 1, maxRss: 0 }

// Event builders, so that tables read like sentences.
const started: JobEvent[] = [workflowStarted(at, config), jobCreated(at, 0, -1, 'root', spec('root'))]
const issued = (jobId: number, attempt = 1): JobEvent => jobIssued(at, jobId, attempt)
const finished = (jobId: number, first: number, children: number, followOns: number, value: unknown = null, attempt = 1): JobEvent =>
  jobFinished(at, jobId, attempt, { first, children, followOns }, value, stats)
const created = (jobId: number, parent: number, relation: 'child' | 'followOn', s: JobSpec = spec('leaf')): JobEvent =>
  jobCreated(at, jobId, parent, relation, s)
const failedAttempt = (jobId: number, attempt = 1): JobEvent => jobFailed(at, jobId, attempt, { kind: 'exception', message: 'boom' })
const succeed = (jobId: number, successors: SuccessorSpec[] = [], value: unknown = null, attempt = 1): Input => ({
  type: 'AttemptSucceeded',
  now: at,
  jobId,
  attempt,
  value,
  successors,
  messages: [],
  stats,
})
const fail = (jobId: number, attempt = 1, reason: FailureReason = { kind: 'exception', message: 'boom' }): Input => ({
  type: 'AttemptFailed',
  now: at,
  jobId,
  attempt,
  reason,
  messages: [],
})
const schedule: Input = { type: 'Schedule', now: at }
const child = (target = 'leaf', input: unknown = null): SuccessorSpec => ({ relation: 'child', spec: spec(target, input) })
const followOn = (target = 'leaf', input: unknown = null): SuccessorSpec => ({ relation: 'followOn', spec: spec(target, input) })

const given = (events: JobEvent[]): JobTreeState => events.reduce(evolve, initialState)
// One spec object for several successors, as a worker's result decodes when they were identical.
const shared = child('leaf', { same: true })
const sharedFollowOn: SuccessorSpec = { relation: 'followOn', spec: shared.spec }

interface Case {
  name: string
  given: JobEvent[]
  when: Input
  then: JobEvent[]
}

const cases: Case[] = [
  {
    name: 'a start creates the root job',
    given: [],
    when: { type: 'Start', now: at, runId: 'r', module: '/m.ts', target: 'root', root: spec('root'), config },
    then: started,
  },
  { name: 'the root is issued first', given: started, when: schedule, then: [issued(0)] },
  {
    name: 'a success records children before follow-ons, whatever the order they were added in',
    given: [...started, issued(0)],
    when: succeed(0, [followOn('f'), child('a'), child('b')]),
    then: [finished(0, 1, 2, 1), created(1, 0, 'child', spec('a')), created(2, 0, 'child', spec('b')), created(3, 0, 'followOn', spec('f'))],
  },
  {
    name: 'a run of successors with one spec (as the worker sends them) is one JobsCreated; a lone one, or one with another spec, a JobCreated',
    given: [...started, issued(0)],
    when: succeed(0, [child('a'), followOn('f'), shared, shared, child('b'), shared, sharedFollowOn, sharedFollowOn]),
    then: [
      finished(0, 1, 5, 3),
      created(1, 0, 'child', spec('a')),
      { type: 'JobsCreated', v: 1, at, first: 2, count: 2, parent: 0, relation: 'child', spec: shared.spec },
      created(4, 0, 'child', spec('b')),
      created(5, 0, 'child', shared.spec),
      created(6, 0, 'followOn', spec('f')),
      { type: 'JobsCreated', v: 1, at, first: 7, count: 2, parent: 0, relation: 'followOn', spec: shared.spec },
    ],
  },
  {
    name: "jobs created in one JobsCreated are issued in order; their parent's follow-on waits for all of them",
    given: [
      ...started,
      issued(0),
      finished(0, 1, 3, 1),
      { type: 'JobsCreated', v: 1, at, first: 1, count: 3, parent: 0, relation: 'child', spec: shared.spec },
      created(4, 0, 'followOn'),
      issued(1),
      issued(2),
      finished(1, 5, 0, 0),
      finished(2, 5, 0, 0),
    ],
    when: schedule,
    then: [issued(3)],
  },
  {
    name: 'children are issued as soon as their parent succeeds; its follow-on waits',
    given: [...started, issued(0), finished(0, 1, 2, 1), created(1, 0, 'child'), created(2, 0, 'child'), created(3, 0, 'followOn')],
    when: schedule,
    then: [issued(1), issued(2)],
  },
  {
    name: 'the follow-on waits while one child is still running',
    given: [
      ...started,
      issued(0),
      finished(0, 1, 2, 1),
      created(1, 0, 'child'),
      created(2, 0, 'child'),
      created(3, 0, 'followOn'),
      issued(1),
      issued(2),
      finished(1, 4, 0, 0),
    ],
    when: schedule,
    then: [],
  },
  {
    name: "the follow-on waits for its parent's grandchildren too",
    given: [
      ...started,
      issued(0),
      finished(0, 1, 1, 1),
      created(1, 0, 'child'),
      created(2, 0, 'followOn'),
      issued(1),
      finished(1, 3, 1, 0),
      created(3, 1, 'child'),
    ],
    when: schedule,
    then: [issued(3)],
  },
  {
    name: 'the follow-on runs once every descendant through the children has finished',
    given: [
      ...started,
      issued(0),
      finished(0, 1, 1, 1),
      created(1, 0, 'child'),
      created(2, 0, 'followOn'),
      issued(1),
      finished(1, 3, 1, 0),
      created(3, 1, 'child'),
      issued(3),
      finished(3, 4, 0, 0),
    ],
    when: schedule,
    then: [issued(2)],
  },
  {
    name: 'a failed attempt within the retry budget is retried',
    given: [...started, issued(0)],
    when: fail(0),
    then: [failedAttempt(0), { type: 'JobRetried', v: 1, at, jobId: 0 }],
  },
  {
    name: 'a result that cannot be recorded is not retried, whatever the budget',
    given: [...started, issued(0)],
    when: fail(0, 1, { kind: 'invalidResult', message: 'the value returned by target root cannot be stored' }),
    then: [
      jobFailed(at, 0, 1, { kind: 'invalidResult', message: 'the value returned by target root cannot be stored' }),
      { type: 'JobFailedCompletely', v: 1, at, jobId: 0 },
    ],
  },
  {
    name: 'a promise naming a successor the job did not add fails the attempt for good',
    given: [...started, issued(0)],
    when: succeed(0, [child()], makeToken({ local: 3, path: [] })),
    then: [
      jobFailed(at, 0, 1, { kind: 'invalidResult', message: 'promise names successor 3, which the job did not add' }, stats),
      { type: 'JobFailedCompletely', v: 1, at, jobId: 0 },
    ],
  },
  {
    name: 'a retried job is issued again as attempt 2',
    given: [...started, issued(0), failedAttempt(0), { type: 'JobRetried', v: 1, at, jobId: 0 }],
    when: schedule,
    then: [issued(0, 2)],
  },
  {
    name: 'retryCount R allows R+1 attempts, then the job fails completely',
    given: [...started, issued(0), failedAttempt(0), { type: 'JobRetried', v: 1, at, jobId: 0 }, issued(0, 2)],
    when: fail(0, 2),
    then: [failedAttempt(0, 2), { type: 'JobFailedCompletely', v: 1, at, jobId: 0 }],
  },
  {
    name: "a job's own retryCount overrides the run's",
    given: [...started, issued(0), finished(0, 1, 1, 0), created(1, 0, 'child', spec('leaf', null, 0)), issued(1)],
    when: fail(1),
    then: [failedAttempt(1), { type: 'JobFailedCompletely', v: 1, at, jobId: 1 }],
  },
  {
    name: 'a report from an older attempt is ignored',
    given: [...started, issued(0), failedAttempt(0), { type: 'JobRetried', v: 1, at, jobId: 0 }, issued(0, 2)],
    when: succeed(0, [], 'late', 1),
    then: [],
  },
  {
    name: "a failed child blocks its parent's follow-on; the run ends, failed, naming what never ran",
    given: [
      ...started,
      issued(0),
      finished(0, 1, 2, 1),
      created(1, 0, 'child', spec('a', null, 0)),
      created(2, 0, 'child'),
      created(3, 0, 'followOn'),
      issued(1),
      issued(2),
      failedAttempt(1),
      { type: 'JobFailedCompletely', v: 1, at, jobId: 1 },
      finished(2, 4, 0, 0),
    ],
    when: schedule,
    then: [{ type: 'WorkflowFinished', v: 1, at, ok: false, succeeded: 2, failed: 1, neverRan: 1 }],
  },
  {
    name: "the run finishes when the root's subtree is complete",
    given: [...started, issued(0), finished(0, 1, 1, 0), created(1, 0, 'child'), issued(1), finished(1, 2, 0, 0)],
    when: schedule,
    then: [{ type: 'WorkflowFinished', v: 1, at, ok: true, succeeded: 2, failed: 0, neverRan: 0 }],
  },
  {
    name: "a local promise token is rewritten to the producer's job id",
    given: [...started, issued(0)],
    when: succeed(0, [child('a'), followOn('f', { x: makeToken({ local: 0, path: ['n'] }) })], makeToken({ local: 1, path: [] })),
    then: [
      finished(0, 1, 1, 1, makeToken({ job: 2, path: [] })),
      created(1, 0, 'child', spec('a')),
      created(2, 0, 'followOn', spec('f', { x: makeToken({ job: 1, path: ['n'] }) })),
    ],
  },
  {
    name: 'a job whose input waits for a promise is not issued before its producer finishes',
    given: [...started, issued(0), finished(0, 1, 2, 0), created(1, 0, 'child'), created(2, 0, 'child', spec('b', makeToken({ job: 1, path: [] })))],
    when: schedule,
    then: [issued(1)],
  },
  {
    name: 'it is issued once the producer has finished',
    given: [
      ...started,
      issued(0),
      finished(0, 1, 2, 0),
      created(1, 0, 'child'),
      created(2, 0, 'child', spec('b', makeToken({ job: 1, path: [] }))),
      issued(1),
      finished(1, 3, 0, 0, 42),
    ],
    when: schedule,
    then: [issued(2)],
  },
  {
    name: 'a promise that can never be kept fails the waiting job as a deadlock',
    given: [...started, issued(0), finished(0, 1, 1, 1), created(1, 0, 'child', spec('c', makeToken({ job: 2, path: [] }))), created(2, 0, 'followOn')],
    when: schedule,
    then: [
      {
        type: 'JobFailed',
        v: 1,
        at,
        jobId: 1,
        attempt: 0,
        reason: { kind: 'deadlock', message: 'job 1 waits for the value of job 2, which can only run after it' },
      },
      { type: 'JobFailedCompletely', v: 1, at, jobId: 1 },
    ],
  },
  {
    name: 'no more than maxJobs attempts are out at once',
    given: [
      ...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, maxJobs: 2 } }) as JobEvent),
      started[1],
      issued(0),
      finished(0, 1, 3, 0),
      created(1, 0, 'child'),
      created(2, 0, 'child'),
      created(3, 0, 'child'),
    ],
    when: schedule,
    then: [issued(1), issued(2)],
  },
  {
    name: 'a new leader abandons the attempts the old one had out',
    given: [...started, issued(0)],
    when: { type: 'Resume', now: at, config },
    then: [
      { type: 'WorkflowResumed', v: 1, at, epoch: 2, config },
      { type: 'JobAbandoned', v: 1, at, jobId: 0, attempt: 1, reason: 'the leader that issued it stopped' },
    ],
  },
  {
    name: 'an abandoned job runs again as its next attempt, without spending its retries',
    given: [
      ...started,
      issued(0),
      { type: 'WorkflowResumed', v: 1, at, epoch: 2, config },
      { type: 'JobAbandoned', v: 1, at, jobId: 0, attempt: 1, reason: 'x' },
    ],
    when: schedule,
    then: [{ type: 'JobIssued', v: 1, at, jobId: 0, attempt: 2, epoch: 2 }],
  },
  {
    name: 'a restart gives jobs that failed completely a fresh retry budget',
    given: [
      ...started,
      issued(0),
      failedAttempt(0),
      { type: 'JobFailedCompletely', v: 1, at, jobId: 0 },
      { type: 'WorkflowFinished', v: 1, at, ok: false, succeeded: 0, failed: 1, neverRan: 0 },
    ],
    when: { type: 'Resume', now: at, config },
    then: [
      { type: 'WorkflowResumed', v: 1, at, epoch: 2, config },
      { type: 'JobRevived', v: 1, at, jobId: 0 },
    ],
  },
  {
    name: 'a revived job is issued again',
    given: [
      ...started,
      issued(0),
      failedAttempt(0),
      { type: 'JobFailedCompletely', v: 1, at, jobId: 0 },
      { type: 'WorkflowFinished', v: 1, at, ok: false, succeeded: 0, failed: 1, neverRan: 0 },
      { type: 'WorkflowResumed', v: 1, at, epoch: 2, config },
      { type: 'JobRevived', v: 1, at, jobId: 0 },
    ],
    when: schedule,
    then: [{ type: 'JobIssued', v: 1, at, jobId: 0, attempt: 2, epoch: 2 }],
  },
  {
    name: 'an attempt running past --max-job-duration is failed as a timeout, then retried',
    given: [...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, maxJobDuration: 10 } }) as JobEvent), started[1], issued(0)],
    when: { type: 'Rescue', now: at + 12_000, held: [{ jobId: 0, attempt: 1, ranMs: 12_000 }] },
    then: [
      { type: 'JobFailed', v: 1, at: at + 12_000, jobId: 0, attempt: 1, reason: { kind: 'timeout', limitSeconds: 10, ranSeconds: 12 } },
      { type: 'JobRetried', v: 1, at: at + 12_000, jobId: 0 },
    ],
  },
  {
    name: 'the time limit counts from when the attempt started running, not from its issue',
    given: [...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, maxJobDuration: 10 } }) as JobEvent), started[1], issued(0)],
    when: { type: 'Rescue', now: at + 12_000, held: [{ jobId: 0, attempt: 1, ranMs: 7_000 }] },
    then: [],
  },
  {
    name: 'the time limit is judged on how long the batch system says the attempt ran, not on the wall clock: a step ahead kills nothing',
    given: [...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, maxJobDuration: 20 } }) as JobEvent), started[1], issued(0)],
    when: { type: 'Rescue', now: at + 3_606_000, held: [{ jobId: 0, attempt: 1, ranMs: 6_000 }] },
    then: [],
  },
  {
    name: 'a step of the wall clock back does not save an attempt running past its limit',
    given: [...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, maxJobDuration: 10 } }) as JobEvent), started[1], issued(0)],
    when: { type: 'Rescue', now: at - 3_588_000, held: [{ jobId: 0, attempt: 1, ranMs: 12_500 }] },
    then: [
      { type: 'JobFailed', v: 1, at: at - 3_588_000, jobId: 0, attempt: 1, reason: { kind: 'timeout', limitSeconds: 10, ranSeconds: 12 } },
      { type: 'JobRetried', v: 1, at: at - 3_588_000, jobId: 0 },
    ],
  },
  {
    name: "a job's declared time × --time-limit-factor is its limit",
    given: [
      ...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, timeLimitFactor: 2 } }) as JobEvent),
      { type: 'JobCreated', v: 1, at, jobId: 0, parent: -1, relation: 'root', spec: { ...spec('root'), resources: { ...resources, time: 3 } } },
      issued(0),
    ],
    when: { type: 'Rescue', now: at + 7_000, held: [{ jobId: 0, attempt: 1, ranMs: 7_000 }] },
    then: [
      { type: 'JobFailed', v: 1, at: at + 7_000, jobId: 0, attempt: 1, reason: { kind: 'timeout', limitSeconds: 6, ranSeconds: 7 } },
      { type: 'JobRetried', v: 1, at: at + 7_000, jobId: 0 },
    ],
  },
  {
    name: 'an attempt the batch system no longer holds is lost',
    given: [...started, issued(0)],
    when: { type: 'Rescue', now: at, held: [] },
    then: [
      { type: 'JobFailed', v: 1, at, jobId: 0, attempt: 1, reason: { kind: 'lost', message: 'the batch system no longer knows attempt 1' } },
      { type: 'JobRetried', v: 1, at, jobId: 0 },
    ],
  },
  {
    name: 'with a retry backoff, the retry may not be issued before its time',
    given: [...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, retryBackoff: 2 } }) as JobEvent), started[1], issued(0)],
    when: fail(0),
    then: [failedAttempt(0), { type: 'JobRetried', v: 1, at, jobId: 0, notBefore: at + 2000 }],
  },
  {
    name: 'a job waiting out its backoff is not issued early',
    given: [
      ...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, retryBackoff: 2 } }) as JobEvent),
      started[1],
      issued(0),
      failedAttempt(0),
      { type: 'JobRetried', v: 1, at, jobId: 0, notBefore: at + 2000 },
    ],
    when: { type: 'Schedule', now: at + 1999 },
    then: [],
  },
  {
    name: 'once the backoff has elapsed, the job is released and issued',
    given: [
      ...started.slice(0, 1).map((e) => ({ ...e, config: { ...config, retryBackoff: 2 } }) as JobEvent),
      started[1],
      issued(0),
      failedAttempt(0),
      { type: 'JobRetried', v: 1, at, jobId: 0, notBefore: at + 2000 },
    ],
    when: { type: 'Schedule', now: at + 2000 },
    then: [
      { type: 'JobBackoffElapsed', v: 1, at: at + 2000, jobId: 0 },
      { type: 'JobIssued', v: 1, at: at + 2000, jobId: 0, attempt: 2, epoch: 1 },
    ],
  },
  {
    name: 'an interrupt is recorded and abandons the attempts out',
    given: [...started, issued(0)],
    when: { type: 'Interrupt', now: at, reason: 'received SIGINT' },
    then: [
      { type: 'WorkflowInterrupted', v: 1, at, reason: 'received SIGINT' },
      { type: 'JobAbandoned', v: 1, at, jobId: 0, attempt: 1, reason: 'the run was interrupted' },
    ],
  },
  { name: 'nothing is issued after an interrupt', given: [...started, { type: 'WorkflowInterrupted', v: 1, at, reason: 'x' }], when: schedule, then: [] },
  {
    name: 'messages from an attempt are recorded before its outcome',
    given: [...started, issued(0)],
    when: { ...succeed(0), messages: ['hello'] } as Input,
    then: [{ type: 'MessageLogged', v: 1, at, jobId: 0, attempt: 1, text: 'hello' }, finished(0, 1, 0, 0)],
  },
]

// Chaining: a worker runs a job's lone successor itself, under an id the
// leader set aside when it issued the job.
const chainingConfig: RunConfig = { ...config, chaining: true }
const startedChaining: JobEvent[] = [{ ...(started[0] as Extract<JobEvent, { type: 'WorkflowStarted' }>), config: chainingConfig }, started[1]]
const reserving = (jobId: number, reserved = CHAIN_IDS): JobEvent => ({ type: 'JobIssued', v: 1, at, jobId, attempt: 1, epoch: 1, reserved })
const chainedIssue = (jobId: number, chainedFrom: number): JobEvent => ({ type: 'JobIssued', v: 1, at, jobId, attempt: 1, epoch: 1, chainedFrom })
const chainedTo = (input: Input, id: number): Input => ({ ...input, chainedTo: id }) as Input
// Root 0 adds follow-on 1, issued with ids 2 .. 2 + CHAIN_IDS - 1 set aside.
const linkIssued: JobEvent[] = [...startedChaining, issued(0), finished(0, 1, 0, 1), created(1, 0, 'followOn'), reserving(1)]

cases.push(
  { name: 'chaining: the root is issued without ids set aside (it rarely has a lone successor)', given: startedChaining, when: schedule, then: [issued(0)] },
  {
    name: 'chaining: a lone successor is issued with ids set aside for what its worker may chain',
    given: [...startedChaining, issued(0), finished(0, 1, 0, 1), created(1, 0, 'followOn')],
    when: schedule,
    then: [reserving(1)],
  },
  {
    name: 'chaining: one of several successors gets no ids set aside',
    given: [...startedChaining, issued(0), finished(0, 1, 2, 0), created(1, 0, 'child'), created(2, 0, 'child')],
    when: schedule,
    then: [issued(1), issued(2)],
  },
  {
    name: 'chaining: the successor a worker chained takes the first id set aside and is recorded as issued, chained',
    given: linkIssued,
    when: chainedTo(succeed(1, [followOn('f')]), 2),
    then: [finished(1, 2, 0, 1), created(2, 1, 'followOn', spec('f')), chainedIssue(2, 1)],
  },
  {
    name: 'chaining: the next link takes the next id set aside',
    given: [...linkIssued, finished(1, 2, 0, 1), created(2, 1, 'followOn'), chainedIssue(2, 1)],
    when: chainedTo(succeed(2, [followOn('g')]), 3),
    then: [finished(2, 3, 0, 1), created(3, 2, 'followOn', spec('g')), chainedIssue(3, 2)],
  },
  {
    name: 'chaining: a worker that chained under another id is not believed (its job gets the next free id, not issued)',
    given: linkIssued,
    when: chainedTo(succeed(1, [followOn('f')]), 7),
    then: [finished(1, 2 + CHAIN_IDS, 0, 1), created(2 + CHAIN_IDS, 1, 'followOn', spec('f'))],
  },
  {
    name: 'chaining: a successor whose input waits for a promise is never taken as chained',
    given: linkIssued,
    when: chainedTo(succeed(1, [followOn('f', makeToken({ job: 0, path: [] }))]), 2),
    then: [finished(1, 2 + CHAIN_IDS, 0, 1), created(2 + CHAIN_IDS, 1, 'followOn', spec('f', makeToken({ job: 0, path: [] })))],
  },
  {
    name: 'chaining: after the last id set aside, the chain comes back to the leader',
    given: [
      ...startedChaining,
      issued(0),
      finished(0, 1, 0, 1),
      created(1, 0, 'followOn'),
      reserving(1, 1),
      finished(1, 2, 0, 1),
      created(2, 1, 'followOn'),
      chainedIssue(2, 1),
    ],
    when: chainedTo(succeed(2, [followOn('g')]), 3),
    then: [finished(2, 3, 0, 1), created(3, 2, 'followOn', spec('g'))],
  },
  {
    name: 'chaining: off, an outcome saying it chained is not taken as such',
    given: [...started, issued(0), finished(0, 1, 0, 1), created(1, 0, 'followOn'), issued(1)],
    when: chainedTo(succeed(1, [followOn('f')]), 2),
    then: [finished(1, 2, 0, 1), created(2, 1, 'followOn', spec('f'))],
  },
  {
    name: 'chaining: a chained job leaves the ready queue from its tail; the others are issued in order',
    given: [
      ...startedChaining,
      issued(0),
      finished(0, 1, 2, 0),
      created(1, 0, 'child'),
      created(2, 0, 'child'),
      reserving(1, 4),
      finished(1, 3, 1, 0),
      created(3, 1, 'child'),
      chainedIssue(3, 1),
    ],
    when: schedule,
    then: [issued(2)],
  },
)

for (const c of cases) {
  test(`decide: ${c.name}`, () => {
    assert.deepEqual(decide(given(c.given), c.when), c.then)
  })
}

test("evolve: completed jobs leave the live state; a value no promise names goes with them, the root's stays", () => {
  const state = given([...started, issued(0), finished(0, 1, 1, 0, 'root'), created(1, 0, 'child'), issued(1), finished(1, 2, 0, 0, 'v')])
  assert.equal(state.jobs.get(0), undefined)
  assert.equal(state.jobs.get(1), undefined)
  assert.equal(state.values.get(1), undefined)
  assert.deepEqual(state.values.get(0), { value: 'root' })
  assert.equal(state.counts.succeeded, 2)
})

test('evolve: a value stays while a promise names it, and goes with the last one', () => {
  const waiting = given([
    ...started,
    issued(0),
    finished(0, 1, 1, 1),
    created(1, 0, 'child'),
    created(2, 0, 'followOn', spec('leaf', makeToken({ job: 1, path: [] }))),
    issued(1),
    finished(1, 3, 0, 0, 'v'),
  ])
  assert.equal(waiting.jobs.get(1), undefined)
  assert.deepEqual(waiting.values.get(1), { value: 'v' })
  assert.equal(waiting.promised.get(1), 1)
  const done = [issued(2), finished(2, 3, 0, 0)].reduce(evolve, waiting)
  assert.equal(done.values.get(1), undefined)
  assert.equal(done.promised.get(1), undefined)
})

test("evolve: a kept value holding a promise keeps its producer's value, and lets it go when dropped", () => {
  const rv = (job: number) => makeToken({ job, path: [] })
  const waiting = given([
    ...started,
    issued(0),
    finished(0, 1, 1, 1),
    created(1, 0, 'child'),
    created(2, 0, 'followOn', spec('leaf', rv(1))),
    issued(1),
    finished(1, 3, 1, 0, rv(3)),
    created(3, 1, 'child'),
    issued(3),
    finished(3, 4, 0, 0, 'deep'),
  ])
  assert.equal(waiting.readyHead, 2)
  assert.equal(
    resolveTokens(rv(1), (id) => valueOf(waiting, id)),
    'deep',
  )
  const done = [issued(2), finished(2, 4, 0, 0)].reduce(evolve, waiting)
  assert.equal(done.values.get(1), undefined)
  assert.equal(done.values.get(3), undefined)
  assert.deepEqual([...done.promised.entries()], [])
})
