import { Immer, type Draft } from 'immer'
import type { JobAbandoned, JobEvent, JobFailedCompletely, JobFinished, JobIssued, JobRetried, JobRevived, JobSpec, Relation } from '../events/catalogue.ts'
import { initialState, newRecord, ProjectionError, type Counts, type JobRecord, type JobTreeState } from './jobTreeState.ts'
import { fresh, move, must, type S, update } from './workingState.ts'
import { countFiles, fileDeleted, fileExported, filesReleased, fileWritten, ownerDone } from './fileRefs.ts'
import { readyJobs, release, unlink, valueOf } from './readyQueue.ts'
import { promise } from './promised.ts'
import { rewound } from './rewind.ts'

export { ProjectionError, readyJobs, valueOf }

// The job tree the leader decides on: a pure projection of the log.
// `evolve` touches only the records an event names (plus, when a subtree
// completes, the ancestors it completes), so its cost per event does not grow
// with the number of jobs. Jobs whose whole subtree has completed leave the
// live state; their return values stay only while a promise may still ask for
// them (see `promise`), and the root's, which is the run's result.

// immer's part here is the copy-on-write of the state's top level and its
// counts: a new state with the fields that changed, or the same state when
// none did. Not frozen: freezing the new top level after every event
// made evolve several times slower (bench/RESULTS.md), and the records
// inside the tries never were.
const immer = new Immer({ autoFreeze: false })

const FIELDS = (Object.keys(initialState) as Array<keyof JobTreeState>).filter((field) => field !== 'counts')
const COUNTS = Object.keys(initialState.counts) as Array<keyof Counts>

/** One empty list for every job nobody waits for: a parent may add 100,000 children. */
const NO_WAITERS: readonly number[] = []

export function evolve(state: JobTreeState, event: JobEvent): JobTreeState {
  return evolveAll(state, [event])
}

/** The state after `events`, in order: one copy of the top level, and of each trie node, for all of them. */
export function evolveAll(state: JobTreeState, events: readonly JobEvent[]): JobTreeState {
  if (events.length === 0) return state
  return immer.produce(state, (draft: Draft<JobTreeState>) => {
    // Events are applied to a plain copy and the draft written once, with
    // only what changed: every read of a field through immer's proxy asks
    // whether the value is draftable, and a batch reads `jobs` ten times
    // per event (a large share of a replay's time went there).
    const s: S = { ...state, counts: { ...state.counts }, made: new Set() }
    for (const event of events) apply(s, event)
    const target = draft as unknown as Record<string, unknown> & { counts: Record<string, number> }
    for (const field of FIELDS) if (s[field] !== state[field]) target[field] = s[field]
    for (const phase of COUNTS) if (s.counts[phase] !== state.counts[phase]) target.counts[phase] = s.counts[phase]
  })
}

function apply(s: S, e: JobEvent): void {
  switch (e.type) {
    case 'WorkflowStarted':
      s.runId = e.runId
      s.module = e.module
      s.target = e.target
      s.epoch = e.epoch
      s.config = e.config
      s.startedAt = e.at
      return
    case 'WorkflowResumed':
      s.epoch = e.epoch
      s.config = e.config
      s.finished = null
      s.interrupted = null
      return
    case 'WorkflowInterrupted':
      s.interrupted = e
      return
    case 'WorkflowFinished':
      s.finished = e
      return
    case 'JobCreated':
      return create(s, e.jobId, e.parent, e.relation, e.spec)
    case 'JobsCreated':
      for (let id = e.first; id < e.first + e.count; id++) create(s, id, e.parent, e.relation, e.spec)
      return
    case 'JobIssued':
      return issue(s, e)
    case 'JobFinished':
      return finish(s, e)
    case 'JobFailed': {
      const job = must(s, e.jobId)
      return update(s, job, { failures: job.failures + 1, lastFailure: e.reason })
    }
    case 'JobRetried':
    case 'JobAbandoned':
      return requeue(s, e)
    case 'JobBackoffElapsed':
      s.delayed = s.delayed.filter((d) => d.id !== e.jobId)
      return release(s, e.jobId)
    case 'JobRevived':
      return revive(s, e)
    case 'JobFailedCompletely':
      return failCompletely(s, e)
    case 'JobsRewound':
      return rewound(s, e)
    case 'FileWritten':
      return fileWritten(s, e)
    case 'FileDeleted':
      return fileDeleted(s, e)
    case 'FileExported':
      return fileExported(s, e)
    case 'FilesReleased':
      return filesReleased(s, e)
    case 'MessageLogged':
      return
  }
}

/** An attempt succeeded: the job waits for the successors it added, or completes when it added none. */
function finish(s: S, e: JobFinished): void {
  const job = must(s, e.jobId)
  const { waiters } = job
  const { children, followOns } = e.successors
  promise(s, e.value, 1)
  // It will not run again: its input no longer holds its files; its value now does.
  if (job.spec.work.kind === 'target') countFiles(s, job.spec.work.input, -1)
  countFiles(s, e.value, 1)
  update(s, job, {
    phase: 'succeeded',
    value: e.value,
    openChildren: children,
    openFollowOns: followOns,
    firstChild: e.successors.first,
    firstFollowOn: e.successors.first + children,
    followOns,
    // Its value may name successors that the events after this one
    // create: waiters are released once the last of them exists.
    waiters: children + followOns === 0 ? NO_WAITERS : waiters,
  })
  move(s, 'issued', 'succeeded')
  if (children === 0 && followOns === 0) {
    for (const waiter of waiters) release(s, waiter)
    complete(s, e.jobId)
  }
}

/** An attempt ended without success and another follows: at once, or once its backoff has elapsed. */
function requeue(s: S, e: JobRetried | JobAbandoned): void {
  const job = must(s, e.jobId)
  update(s, job, { phase: 'waiting' })
  move(s, 'issued', 'waiting')
  if (e.type === 'JobRetried' && e.notBefore !== undefined && e.notBefore > e.at) {
    const until = e.notBefore
    const at = s.delayed.findIndex((d) => d.until > until)
    s.delayed = at === -1 ? [...s.delayed, { id: e.jobId, until }] : [...s.delayed.slice(0, at), { id: e.jobId, until }, ...s.delayed.slice(at)]
    return
  }
  release(s, e.jobId)
}

/** A failed job gets a new budget of attempts (a restart). */
function revive(s: S, e: JobRevived): void {
  const job = must(s, e.jobId)
  if (job.phase !== 'failed') throw new ProjectionError(`job ${e.jobId} revived while ${job.phase}`)
  update(s, job, { phase: 'waiting', failures: 0 })
  move(s, 'failed', 'waiting')
  release(s, e.jobId)
}

function failCompletely(s: S, e: JobFailedCompletely): void {
  const job = must(s, e.jobId)
  const { phase } = job
  if (phase === 'ready') throw new ProjectionError(`job ${e.jobId} failed completely while queued`)
  update(s, job, { phase: 'failed' })
  move(s, phase, 'failed')
}

function create(s: S, id: number, parent: number, relation: Relation, spec: JobSpec): void {
  if (id === s.nextJobId) {
    s.nextJobId = id + 1
  } else if (!chainable(s, parent, id)) {
    throw new ProjectionError(`job ${id} created out of order (next id is ${s.nextJobId})`)
  }
  fresh(s, newRecord(id, parent, relation, spec, 0, NO_WAITERS))
  s.counts.total += 1
  s.counts.waiting += 1
  if (spec.work.kind === 'target') {
    promise(s, spec.work.input, 1)
    countFiles(s, spec.work.input, 1)
  }
  if (relation === 'root') return release(s, id)
  // Successors are released together once the last of them exists, since a
  // promise may name a sibling created after it (a child given a follow-on's rv).
  const p = must(s, parent)
  if (id !== p.firstFollowOn + p.followOns - 1) return
  for (let c = p.firstChild; c < p.firstFollowOn; c++) release(s, c)
  if (p.firstFollowOn === p.firstChild) releaseFollowOns(s, p)
  const waiting = must(s, parent)
  if (waiting.waiters.length === 0) return
  const { waiters } = waiting
  update(s, waiting, { waiters: NO_WAITERS })
  for (const waiter of waiters) release(s, waiter)
}

/** Whether `id` is the next id set aside for the jobs `parent`'s attempt may chain. */
function chainable(s: S, parent: number, id: number): boolean {
  const p = parent === -1 ? undefined : s.jobs.get(parent)
  return p !== undefined && p.chainLeft > 0 && p.chainFirst === id
}

/**
 * An attempt starts: the job leaves the ready queue (from its head, or, when
 * a worker chained it, from wherever it is) and takes its ids for chaining:
 * new ones, or what is left of those of the job it was chained from.
 */
function issue(s: S, e: JobIssued): void {
  const job = must(s, e.jobId)
  let chainFirst = -1
  let chainLeft = 0
  if (e.chainedFrom !== undefined) {
    if (job.phase !== 'ready' || !chainable(s, e.chainedFrom, e.jobId)) {
      throw new ProjectionError(`job ${e.jobId} cannot be chained from job ${e.chainedFrom}`)
    }
    const from = must(s, e.chainedFrom)
    chainFirst = from.chainFirst + 1
    chainLeft = from.chainLeft - 1
  } else {
    if (s.readyHead !== e.jobId) throw new ProjectionError(`job ${e.jobId} issued out of queue order`)
    if (e.reserved !== undefined && e.reserved > 0) {
      chainFirst = s.nextJobId
      chainLeft = e.reserved
      s.nextJobId += e.reserved
    }
  }
  unlink(s, job)
  update(s, must(s, e.jobId), { phase: 'issued', attempts: e.attempt, next: -1, prev: -1, chainFirst, chainLeft })
  move(s, 'ready', 'issued')
}

function releaseFollowOns(s: S, parent: JobRecord): void {
  for (let f = parent.firstFollowOn; f < parent.firstFollowOn + parent.followOns; f++) release(s, f)
}

/** A job and its whole subtree are done: it leaves the live state and may complete its parent. */
function complete(s: S, id: number): void {
  let current = id
  while (current !== -1) {
    const job = must(s, current)
    s.jobs = s.jobs.set(current, undefined, s.made)
    if (job.spec.work.kind === 'target') promise(s, job.spec.work.input, -1)
    if (job.value !== undefined) {
      if (job.relation === 'root' || s.promised.get(current) !== undefined) s.values = s.values.set(current, { value: job.value }, s.made)
      else {
        promise(s, job.value, -1)
        countFiles(s, job.value, -1)
      }
    }
    ownerDone(s, current)
    if (job.relation === 'root') return
    const parent = must(s, job.parent)
    if (job.relation === 'child') {
      const openChildren = parent.openChildren - 1
      update(s, parent, { openChildren })
      if (openChildren === 0) releaseFollowOns(s, parent)
    } else {
      update(s, parent, { openFollowOns: parent.openFollowOns - 1 })
    }
    const after = must(s, job.parent)
    current = after.openChildren === 0 && after.openFollowOns === 0 ? after.id : -1
  }
}
