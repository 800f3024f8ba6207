import type { FailureReason, JobSpec, Relation, RunConfig, WorkflowFinished, WorkflowInterrupted } from '../events/catalogue.ts'
import { PVec } from './pvec.ts'

// The shape of the job tree the leader decides on (jobTree.ts says how
// each event changes it).

/**
 * waiting: created but held back (a follow-on whose parent's children are not
 *   all complete, or a job whose input waits for a promise);
 * ready: may be issued; issued: an attempt is out;
 * succeeded: its last attempt succeeded (its successors may still run);
 * failed: failed completely.
 */
export type Phase = 'waiting' | 'ready' | 'issued' | 'succeeded' | 'failed'

export interface JobRecord {
  readonly id: number
  readonly parent: number
  readonly relation: Relation
  readonly spec: JobSpec
  readonly phase: Phase
  /** Attempts issued so far; the next attempt is `attempts + 1`. */
  readonly attempts: number
  /** Failed attempts so far. */
  readonly failures: number
  readonly lastFailure: FailureReason | null
  /** Children not yet complete (set when the job succeeds). */
  readonly openChildren: number
  /** Follow-ons not yet complete. */
  readonly openFollowOns: number
  /** Children have ids firstChild .. firstFollowOn - 1, follow-ons firstFollowOn .. firstFollowOn + followOns - 1. */
  readonly firstChild: number
  readonly firstFollowOn: number
  readonly followOns: number
  /** Jobs whose input waits for this job's value. */
  readonly waiters: readonly number[]
  /** The producer this job's input waits for, or -1. */
  readonly waitingOn: number
  readonly value: unknown
  /** Next job in the ready queue, or -1. */
  readonly next: number
  /** Previous job in the ready queue, or -1 (not kept up to date for the head). */
  readonly prev: number
  /** Ids set aside for the jobs its current attempt may chain: chainLeft of them from chainFirst. */
  readonly chainFirst: number
  readonly chainLeft: number
}

/** A job's record as made: waiting, nothing run since it was made (or sent back), `attempts` used before. */
export function newRecord(id: number, parent: number, relation: Relation, spec: JobSpec, attempts: number, waiters: readonly number[]): JobRecord {
  return {
    id,
    parent,
    relation,
    spec,
    phase: 'waiting',
    attempts,
    failures: 0,
    lastFailure: null,
    openChildren: 0,
    openFollowOns: 0,
    firstChild: -1,
    firstFollowOn: -1,
    followOns: 0,
    waiters,
    waitingOn: -1,
    value: undefined,
    next: -1,
    prev: -1,
    chainFirst: -1,
    chainLeft: 0,
  }
}

/** A visible file of the store (its attempt succeeded), as the job tree counts who may still read it. */
export interface FileEntry {
  readonly id: string
  readonly jobId: number
  readonly attempt: number
  readonly size: number
  /** Inputs of jobs that have not succeeded, and values the state keeps, that name it (once per mention). */
  readonly refs: number
  /** Copied out of the store by a job: kept for good. */
  readonly exported: boolean
}

/** Where the files one attempt wrote are numbered: its file n is file number first + n. */
export interface FileRange {
  readonly attempt: number
  readonly first: number
  /** One past the highest n recorded. */
  readonly count: number
}

export interface Counts {
  readonly total: number
  readonly waiting: number
  readonly ready: number
  readonly issued: number
  readonly succeeded: number
  readonly failed: number
}

export interface JobTreeState {
  readonly runId: string
  readonly module: string
  readonly target: string
  readonly epoch: number
  readonly config: RunConfig | null
  readonly jobs: PVec<JobRecord>
  /** Return values of jobs that have left `jobs` that a promise may still ask for (only those not undefined), and the root's. */
  readonly values: PVec<{ value: unknown }>
  /** Promises naming each job (their producer) in the inputs and values of the state; absent for none. */
  readonly promised: PVec<number>
  readonly nextJobId: number
  readonly readyHead: number
  readonly readyTail: number
  readonly counts: Counts
  readonly finished: WorkflowFinished | null
  /** Set when a leader was told to stop; cleared when the next one resumes. */
  readonly interrupted: WorkflowInterrupted | null
  /** Retried jobs waiting out their backoff, soonest first. */
  readonly delayed: readonly Delayed[]
  readonly startedAt: number
  /** Visible files, by file number (in the order they were recorded). */
  readonly files: PVec<FileEntry>
  /** The numbers of each job's files (job -1, the imports, at index 0), by job id + 1. */
  readonly fileRanges: PVec<FileRange>
  /** Files nothing can read any more (their owner's subtree is done and nothing names them): the next ones released. */
  readonly fileOrphans: PVec<number>
  /** Files in `files`: while none, values are not searched for file ids. */
  readonly liveFiles: number
  readonly nextFileNo: number
}

export interface Delayed {
  readonly id: number
  readonly until: number
}

export const initialState: JobTreeState = {
  runId: '',
  module: '',
  target: '',
  epoch: 0,
  config: null,
  jobs: PVec.empty(),
  values: PVec.empty(),
  promised: PVec.empty(),
  nextJobId: 0,
  readyHead: -1,
  readyTail: -1,
  counts: { total: 0, waiting: 0, ready: 0, issued: 0, succeeded: 0, failed: 0 },
  finished: null,
  interrupted: null,
  delayed: [],
  startedAt: 0,
  files: PVec.empty(),
  fileRanges: PVec.empty(),
  fileOrphans: PVec.empty(),
  liveFiles: 0,
  nextFileNo: 0,
}

/** The log contradicts itself: it cannot be replayed into a job tree. */
export class ProjectionError extends Error {}
