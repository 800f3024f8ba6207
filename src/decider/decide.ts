import type {
  AttemptFiles,
  FailureReason,
  JobCreated,
  JobEvent,
  JobIssued,
  JobsCreated,
  JobSpec,
  MessageLogged,
  SuccessorSpec,
  WrittenFile,
} from '../events/catalogue.ts'
import { parseFileId } from '../events/fileId.ts'
import { hasToken, mapTokens, makeToken, type RvRef } from '../events/promise.ts'
import { evolve, evolveAll, readyJobs } from './jobTree.ts'
import type { JobRecord, JobTreeState } from './jobTreeState.ts'
import { lookup, orphanFiles } from './fileRefs.ts'
import {
  DecisionError,
  type AttemptFailed,
  type AttemptSucceeded,
  type Input,
  type InterruptInput,
  type RescueInput,
  type ResumeInput,
  type StartInput,
} from './inputs.ts'
import { planRewind } from './rewindPlan.ts'

export { DecisionError }

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
    case 'Rescue':
      return rescue(state, input)
    case 'Interrupt':
      return interrupt(state, input)
    case 'Rewind':
      return [planRewind(state, input).event]
  }
}

function start(state: JobTreeState, input: StartInput): JobEvent[] {
  if (state.epoch !== 0) throw new DecisionError('the workflow has already started')
  const at = input.now
  return [
    { type: 'WorkflowStarted', v: 1, at, runId: input.runId, module: input.module, target: input.target, epoch: 1, config: input.config },
    ...written(-1, 0, input.imports ?? [], at),
    { type: 'JobCreated', v: 1, at, jobId: 0, parent: -1, relation: 'root', spec: input.root },
  ]
}

function written(jobId: number, attempt: number, files: readonly WrittenFile[], at: number): JobEvent[] {
  return files.map((f) => ({ type: 'FileWritten', v: 1, at, jobId, attempt, n: f.n, size: f.size, sha256: f.sha256, name: f.name }))
}

/**
 * What a successful attempt did in the file store, recorded before its
 * JobFinished (which may name the files it wrote): its writes become
 * visible; its deletes and exports count for files that are visible (or
 * its own), and the others are left out (another job deleted the file meanwhile).
 */
function fileEvents(state: JobTreeState, input: AttemptSucceeded, files: AttemptFiles): JobEvent[] {
  const { jobId, attempt, now: at } = input
  const own = (id: string) => {
    const ref = parseFileId(id)
    return ref !== undefined && ref.runId === state.runId && ref.jobId === jobId && ref.attempt === attempt && files.written.some((f) => f.n === ref.n)
  }
  const events = written(jobId, attempt, files.written, at)
  for (const file of files.deleted) if (lookup(state, file) !== undefined) events.push({ type: 'FileDeleted', v: 1, at, jobId, attempt, file })
  for (const { file, path } of files.exported) {
    if (lookup(state, file) !== undefined || own(file)) events.push({ type: 'FileExported', v: 1, at, jobId, attempt, file, path })
  }
  return events
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
  const job = current(state, input.jobId, input.attempt)
  if (job === undefined) return []
  const at = input.now
  const chained = acceptsChain(state, job, input)
  const first = chained ? job.chainFirst : state.nextJobId
  const { successors } = input
  const { children, idOfLocal } = successorIds(successors, first)
  const globalize = globalizer(idOfLocal)
  const events: JobEvent[] = messages(input)
  if (input.files !== undefined) for (const event of fileEvents(state, input, input.files)) events.push(event)
  try {
    events.push({
      type: 'JobFinished',
      v: 1,
      at,
      jobId: input.jobId,
      attempt: input.attempt,
      value: globalize(input.value),
      stats: input.stats,
      successors: { first, children, followOns: successors.length - children },
    })
    for (const relation of ['child', 'followOn'] as const) addCreations(events, successors, relation, idOfLocal, globalize, input.jobId, at)
  } catch (err) {
    if (!(err instanceof DecisionError)) throw err
    return failed(state, { ...input, type: 'AttemptFailed', reason: { kind: 'invalidResult', message: err.message } })
  }
  if (chained) events.push({ type: 'JobIssued', v: 1, at, jobId: first, attempt: 1, epoch: state.epoch, chainedFrom: input.jobId })
  return events
}

/**
 * The id of each successor, by its position in the order the job added them:
 * children take the ids from `first`, follow-ons the ones after. (A parent
 * may add 100,000 successors: no temporaries per successor here.)
 */
function successorIds(successors: readonly SuccessorSpec[], first: number): { children: number; idOfLocal: number[] } {
  let children = 0
  for (const s of successors) if (s.relation === 'child') children += 1
  const idOfLocal = new Array<number>(successors.length)
  let nextChild = first
  let nextFollowOn = first + children
  for (let local = 0; local < successors.length; local++) idOfLocal[local] = successors[local].relation === 'child' ? nextChild++ : nextFollowOn++
  return { children, idOfLocal }
}

/** Turns the local promise tokens in a value (a successor named by its position) into tokens naming its job id. */
function globalizer(idOfLocal: readonly number[]): (value: unknown) => unknown {
  return (value) =>
    !hasToken(value)
      ? value
      : mapTokens(value, (ref: RvRef) => {
          if (ref.local === undefined) return makeToken(ref)
          const job = idOfLocal[ref.local]
          if (job === undefined) throw new DecisionError(`promise names successor ${ref.local}, which the job did not add`)
          return makeToken({ job, path: ref.path })
        })
}

/**
 * Adds the creation events of one relation's successors to `events`. They
 * have consecutive ids, so a run of them with the same spec (one object: the
 * worker sends each distinct spec once) is one JobsCreated.
 */
function addCreations(
  events: JobEvent[],
  successors: readonly SuccessorSpec[],
  relation: SuccessorSpec['relation'],
  idOfLocal: readonly number[],
  globalize: (value: unknown) => unknown,
  parent: number,
  at: number,
): void {
  let run: JobsCreated | undefined
  for (let local = 0; local < successors.length; local++) {
    const s = successors[local]
    if (s.relation !== relation) continue
    const spec = globalizeSpec(s.spec, globalize)
    if (run !== undefined && run.spec === spec) {
      run.count += 1
      continue
    }
    if (run !== undefined) events.push(created(run))
    run = { type: 'JobsCreated', v: 1, at, first: idOfLocal[local], count: 1, parent, relation, spec }
  }
  if (run !== undefined) events.push(created(run))
}

function created(run: JobsCreated): JobCreated | JobsCreated {
  const { at, first, parent, relation, spec } = run
  return run.count > 1 ? run : { type: 'JobCreated', v: 1, at, jobId: first, parent, relation, spec }
}

function globalizeSpec(spec: JobSpec, globalize: (v: unknown) => unknown): JobSpec {
  if (spec.work.kind !== 'target') return spec
  const input = globalize(spec.work.input)
  return input === spec.work.input ? spec : { ...spec, work: { ...spec.work, input } }
}

/**
 * The worker already runs the attempt's lone successor, under the first id
 * set aside for its chain: it is recorded as issued, unless the run is
 * stopping or the worker should not have (then the leader stops it).
 */
function acceptsChain(state: JobTreeState, job: JobRecord, input: AttemptSucceeded): boolean {
  if (input.chainedTo === undefined || state.interrupted !== null || state.config?.chaining !== true) return false
  const only = input.successors[0]
  if (input.successors.length !== 1 || job.chainLeft < 1 || job.chainFirst !== input.chainedTo) return false
  return only.spec.work.kind !== 'target' || !hasToken(only.spec.work.input)
}

function failed(state: JobTreeState, input: AttemptFailed): JobEvent[] {
  const job = current(state, input.jobId, input.attempt)
  if (job === undefined) return []
  const at = input.now
  return [
    ...messages(input),
    { type: 'JobFailed', v: 1, at, jobId: input.jobId, attempt: input.attempt, reason: input.reason, ...(input.stats ? { stats: input.stats } : {}) },
    retryOrGiveUp(state, job, input.reason, at),
  ]
}

/** After a failed attempt: another one (after the backoff, if any), or none. */
function retryOrGiveUp(state: JobTreeState, job: JobRecord, reason: FailureReason, at: number): JobEvent {
  const budget = job.spec.retryCount ?? state.config?.retryCount ?? 0
  // Neither a job no machine can take nor a result that cannot be recorded gets better with another attempt.
  const final = reason.kind === 'unschedulable' || reason.kind === 'invalidResult'
  if (final || job.failures + 1 > budget) return { type: 'JobFailedCompletely', v: 1, at, jobId: job.id }
  const backoff = state.config?.retryBackoff ?? 0
  if (backoff <= 0) return { type: 'JobRetried', v: 1, at, jobId: job.id }
  return { type: 'JobRetried', v: 1, at, jobId: job.id, notBefore: at + Math.round(backoff * 1000 * 2 ** job.failures) }
}

/**
 * Attempts running past their limit are failed (the leader kills them once
 * that is recorded); attempts the batch system no longer holds are lost.
 */
function rescue(state: JobTreeState, input: RescueInput): JobEvent[] {
  if (state.finished !== null || state.epoch === 0) return []
  const at = input.now
  const held = new Map(input.held.map((h) => [h.jobId, h]))
  const events: JobEvent[] = []
  const fail = (job: JobRecord, reason: FailureReason) =>
    events.push({ type: 'JobFailed', v: 1, at, jobId: job.id, attempt: job.attempts, reason }, retryOrGiveUp(state, job, reason, at))
  for (const [, job] of state.jobs.entries()) {
    if (job.phase !== 'issued') continue
    const h = held.get(job.id)
    if (h === undefined || h.attempt !== job.attempts) {
      fail(job, { kind: 'lost', message: `the batch system no longer knows attempt ${job.attempts}` })
      continue
    }
    const limit = timeLimit(state, job)
    if (h.ranMs === null || limit === undefined) continue
    if (h.ranMs > limit * 1000) fail(job, { kind: 'timeout', limitSeconds: limit, ranSeconds: Math.floor(h.ranMs / 1000) })
  }
  return events
}

/** Seconds an attempt of `job` may run, or undefined for no limit. */
function timeLimit(state: JobTreeState, job: JobRecord): number | undefined {
  const limits: number[] = []
  const max = state.config?.maxJobDuration ?? 0
  if (max > 0) limits.push(max)
  const factor = state.config?.timeLimitFactor ?? 0
  if (factor > 0 && job.spec.resources.time > 0) limits.push(job.spec.resources.time * factor)
  return limits.length > 0 ? Math.min(...limits) : undefined
}

/** The leader stops: what it had out will not report back, and runs again after a restart. */
function interrupt(state: JobTreeState, input: InterruptInput): JobEvent[] {
  if (state.finished !== null || state.epoch === 0) return []
  const at = input.now
  const events: JobEvent[] = [{ type: 'WorkflowInterrupted', v: 1, at, reason: input.reason }]
  for (const [, job] of state.jobs.entries()) {
    if (job.phase === 'issued') events.push({ type: 'JobAbandoned', v: 1, at, jobId: job.id, attempt: job.attempts, reason: 'the run was interrupted' })
  }
  return events
}

function schedule(state: JobTreeState, at: number): JobEvent[] {
  if (state.finished !== null || state.epoch === 0 || state.interrupted !== null) return []
  const released = releasedFiles(state, at)
  if (released.length === 0) return scheduleJobs(state, at)
  return [...released, ...scheduleJobs(evolveAll(state, released), at)]
}

/** Files nothing can read any more are released, unless the run keeps them; a thousand an event, so that none is large. */
function releasedFiles(state: JobTreeState, at: number): JobEvent[] {
  if (state.liveFiles === 0 || state.config?.keepFiles === true) return []
  const files = orphanFiles(state)
  const events: JobEvent[] = []
  for (let i = 0; i < files.length; i += RELEASED_PER_EVENT) events.push({ type: 'FilesReleased', v: 1, at, files: files.slice(i, i + RELEASED_PER_EVENT) })
  return events
}

const RELEASED_PER_EVENT = 1000

function scheduleJobs(state: JobTreeState, at: number): JobEvent[] {
  const events: JobEvent[] = []
  // Backoffs that have elapsed release their jobs, which may be issued right away.
  for (const d of state.delayed) {
    if (d.until > at) break
    const elapsed: JobEvent = { type: 'JobBackoffElapsed', v: 1, at, jobId: d.id }
    events.push(elapsed)
    state = evolve(state, elapsed)
  }
  let slots = (state.config?.maxJobs ?? 1) - state.counts.issued
  const chaining = state.config?.chaining === true
  for (const job of readyJobs(state)) {
    if (slots <= 0) break
    const issued: JobIssued = { type: 'JobIssued', v: 1, at, jobId: job.id, attempt: job.attempts + 1, epoch: state.epoch }
    if (chaining && loneSuccessor(state, job)) issued.reserved = CHAIN_IDS
    events.push(issued)
    slots -= 1
  }
  if (events.length > 0 || state.counts.issued > 0 || state.counts.ready > 0 || state.delayed.length > 0) return events
  const { counts } = state
  if (counts.waiting > 0 && counts.failed === 0) {
    const broken = deadlocked(state, at)
    if (broken.length > 0) return broken
  }
  return [
    {
      type: 'WorkflowFinished',
      v: 1,
      at,
      ok: counts.failed === 0 && counts.waiting === 0,
      succeeded: counts.succeeded,
      failed: counts.failed,
      neverRan: counts.waiting,
    },
  ]
}

/**
 * Ids set aside for each attempt that may start a chain: a chain of follow-ons
 * comes back to the leader once every this many links, and an attempt that
 * chains nothing wastes as many ids (never job records).
 */
export const CHAIN_IDS = 64

/** The only successor its parent added: a link of a chain, likely followed by another. */
function loneSuccessor(state: JobTreeState, job: JobRecord): boolean {
  const parent = state.jobs.get(job.parent)
  return parent !== undefined && parent.firstFollowOn + parent.followOns - parent.firstChild === 1
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
