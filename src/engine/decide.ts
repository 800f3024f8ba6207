import type { JobCreated, JobEvent, JobSpec, MessageLogged } from '../events/catalogue.ts'
import { mapTokens, makeToken, type RvRef } from '../events/promise.ts'
import { readyJobs, type JobRecord, type JobTreeState } from '../projections/jobTree.ts'
import type { AttemptFailed, AttemptSucceeded, Input, ResumeInput, StartInput } from './inputs.ts'

// The leader's decisions, as a pure function: given the projected state and
// one input, the events to append. Nothing here reads a clock, a file or a
// process; the leader loop does that and feeds the results in as inputs.

export function decide(state: JobTreeState, input: Input): JobEvent[] {
  switch (input.type) {
    case 'Start':
      return start(state, input)
    case 'Resume':
      return resume(state, input)
    case 'AttemptSucceeded':
      return succeeded(state, input)
    case 'AttemptFailed':
      return failed(state, input)
    case 'Schedule':
      return schedule(state, input.now)
  }
}

function start(state: JobTreeState, input: StartInput): JobEvent[] {
  if (state.epoch !== 0) throw new DecisionError('the workflow has already started')
  const at = input.now
  return [
    { type: 'WorkflowStarted', v: 1, at, runId: input.runId, module: input.module, target: input.target, epoch: 1, config: input.config },
    { type: 'JobCreated', v: 1, at, jobId: 0, parent: -1, relation: 'root', spec: input.root },
  ]
}

/**
 * A new leader takes over: attempts the old one had out will never report
 * back, so they run again; jobs that had failed completely get a fresh retry
 * budget (as jobTree and Toil do on a restart), for the user may have fixed
 * what made them fail.
 */
function resume(state: JobTreeState, input: ResumeInput): JobEvent[] {
  if (state.epoch === 0) throw new DecisionError('the workflow has not started')
  const at = input.now
  const events: JobEvent[] = [{ type: 'WorkflowResumed', v: 1, at, epoch: state.epoch + 1, config: input.config }]
  for (const [, job] of state.jobs.entries()) {
    if (job.phase === 'issued') {
      events.push({ type: 'JobAbandoned', v: 1, at, jobId: job.id, attempt: job.attempts, reason: 'the leader that issued it stopped' })
    } else if (job.phase === 'failed') {
      events.push({ type: 'JobRevived', v: 1, at, jobId: job.id })
    }
  }
  return events
}

/** The job's current attempt, or undefined for a stale or unknown report. */
function current(state: JobTreeState, jobId: number, attempt: number): JobRecord | undefined {
  const job = state.jobs.get(jobId)
  return job !== undefined && job.phase === 'issued' && job.attempts === attempt ? job : undefined
}

function messages(input: AttemptSucceeded | AttemptFailed): MessageLogged[] {
  return input.messages.map((text) => ({ type: 'MessageLogged', v: 1, at: input.now, jobId: input.jobId, attempt: input.attempt, text }))
}

function succeeded(state: JobTreeState, input: AttemptSucceeded): JobEvent[] {
  if (current(state, input.jobId, input.attempt) === undefined) return []
  const at = input.now
  const first = state.nextJobId
  // Children take the first ids, follow-ons the ones after; a local promise
  // token names a successor by its position in the order the job added them.
  const order = [
    ...input.successors.map((s, local) => ({ s, local })).filter(({ s }) => s.relation === 'child'),
    ...input.successors.map((s, local) => ({ s, local })).filter(({ s }) => s.relation === 'followOn'),
  ]
  const idOfLocal = new Map<number, number>()
  order.forEach(({ local }, i) => idOfLocal.set(local, first + i))
  const globalize = (value: unknown): unknown =>
    mapTokens(value, (ref: RvRef) => {
      if (ref.local === undefined) return makeToken(ref)
      const job = idOfLocal.get(ref.local)
      if (job === undefined) throw new DecisionError(`promise names successor ${ref.local}, which the job did not add`)
      return makeToken({ job, path: ref.path })
    })
  let created: JobCreated[]
  let value: unknown
  try {
    value = globalize(input.value)
    created = order.map(({ s }, i) => ({
      type: 'JobCreated', v: 1, at, jobId: first + i, parent: input.jobId, relation: s.relation, spec: globalizeSpec(s.spec, globalize),
    }))
  } catch (err) {
    if (!(err instanceof DecisionError)) throw err
    return failed(state, { ...input, type: 'AttemptFailed', reason: { kind: 'invalidResult', message: err.message } })
  }
  const children = input.successors.filter((s) => s.relation === 'child').length
  return [
    ...messages(input),
    {
      type: 'JobFinished', v: 1, at, jobId: input.jobId, attempt: input.attempt, value, stats: input.stats,
      successors: { first, children, followOns: order.length - children },
    },
    ...created,
  ]
}

function globalizeSpec(spec: JobSpec, globalize: (v: unknown) => unknown): JobSpec {
  if (spec.work.kind !== 'target') return spec
  return { ...spec, work: { ...spec.work, input: globalize(spec.work.input) } }
}

function failed(state: JobTreeState, input: AttemptFailed): JobEvent[] {
  const job = current(state, input.jobId, input.attempt)
  if (job === undefined) return []
  const at = input.now
  const budget = job.spec.retryCount ?? state.config?.retryCount ?? 0
  const retry = input.reason.kind !== 'unschedulable' && job.failures + 1 <= budget
  return [
    ...messages(input),
    { type: 'JobFailed', v: 1, at, jobId: input.jobId, attempt: input.attempt, reason: input.reason, ...(input.stats ? { stats: input.stats } : {}) },
    retry ? { type: 'JobRetried', v: 1, at, jobId: input.jobId } : { type: 'JobFailedCompletely', v: 1, at, jobId: input.jobId },
  ]
}

function schedule(state: JobTreeState, at: number): JobEvent[] {
  if (state.finished !== null || state.epoch === 0) return []
  const events: JobEvent[] = []
  let slots = (state.config?.maxJobs ?? 1) - state.counts.issued
  for (const job of readyJobs(state)) {
    if (slots <= 0) break
    events.push({ type: 'JobIssued', v: 1, at, jobId: job.id, attempt: job.attempts + 1, epoch: state.epoch })
    slots -= 1
  }
  if (events.length > 0 || state.counts.issued > 0 || state.counts.ready > 0) return events
  const { counts } = state
  if (counts.waiting > 0 && counts.failed === 0) {
    const broken = deadlocked(state, at)
    if (broken.length > 0) return broken
  }
  return [{
    type: 'WorkflowFinished', v: 1, at,
    ok: counts.failed === 0 && counts.waiting === 0,
    succeeded: counts.succeeded, failed: counts.failed, neverRan: counts.waiting,
  }]
}

/**
 * Nothing runs, nothing failed, yet jobs wait: their promises can never be
 * kept (a job was handed the value of a job that waits for it). Fail them,
 * naming the promise, so the run ends and says why.
 */
function deadlocked(state: JobTreeState, at: number): JobEvent[] {
  const events: JobEvent[] = []
  for (const [, job] of state.jobs.entries()) {
    if (job.phase !== 'waiting' || job.waitingOn === -1) continue
    const message = `job ${job.id} waits for the value of job ${job.waitingOn}, which can only run after it`
    events.push(
      { type: 'JobFailed', v: 1, at, jobId: job.id, attempt: job.attempts, reason: { kind: 'deadlock', message } },
      { type: 'JobFailedCompletely', v: 1, at, jobId: job.id },
    )
  }
  return events
}

/** An input that cannot be decided on in this state: a bug in the caller. */
export class DecisionError extends Error {}
