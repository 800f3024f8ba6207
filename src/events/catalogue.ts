// The event catalogue: every fact jobtree records. Events are small, typed,
// past-tense records. Each carries a schema version `v`; when a shape changes,
// bump its version and teach `upcast.ts` to read the old one, so a log written
// by any earlier release replays forever. Which jobs an event makes or is
// about is in jobsOf.ts.

import type { WrittenFile } from './fileId.ts'

export type { WrittenFile }

/** Resources a job asks for. Memory and disk are bytes, time is seconds. */
export interface Resources {
  cores: number
  memory: number
  disk: number
  /** Expected run time in seconds (0 = unknown). */
  time: number
}

/** What a job runs: a registered target function, or a shell command. */
export type JobWork = { kind: 'target'; target: string; input: unknown } | { kind: 'command'; command: string | string[] }

export interface JobSpec {
  work: JobWork
  resources: Resources
  /** Failed attempts allowed before the job fails completely; undefined = the run's default. */
  retryCount?: number
  /**
   * The job's disk was asked for (its `disk` option set), not the default. A
   * cluster reserves node-local disk only for such jobs (Slurm's --tmp: many
   * sites declare no TmpDisk); absent in logs written before it was recorded.
   */
  diskAsked?: true
}

export type Relation = 'root' | 'child' | 'followOn'

/** A job an attempt added, as its worker reports it (recorded as JobCreated or JobsCreated). */
export interface SuccessorSpec {
  relation: Exclude<Relation, 'root'>
  spec: JobSpec
}

/** Why one attempt of a job did not succeed. */
export type FailureReason =
  | { kind: 'exception'; message: string; stack?: string }
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: string }
  | { kind: 'workerDied'; code: number | null; signal: string | null }
  /**
   * What the attempt returned can never be recorded (a value the log cannot
   * encode or is over the size limit, a promise naming no successor). The
   * same code gives the same result, so it is never retried.
   */
  | { kind: 'invalidResult'; message: string }
  | { kind: 'unschedulable'; message: string }
  | { kind: 'deadlock'; message: string }
  | { kind: 'lost'; message: string }
  /** Killed for running past its time limit (`--max-job-duration`, or its declared time × `--time-limit-factor`). */
  | { kind: 'timeout'; limitSeconds: number; ranSeconds: number }
  /** Killed for using more memory than it asked for, beyond a margin (usedBytes 0: the batch system did not say how much). */
  | { kind: 'outOfMemory'; usedBytes: number; askedBytes: number }
  /** Stopped by the cluster's scheduler or an administrator, not by jobtree (scancel, preemption, a deadline). */
  | { kind: 'cancelled'; message: string }
  /** The cluster node running it failed. */
  | { kind: 'nodeFailure'; message: string }
  /** What it wrote found no space left (its log): the machine's doing, reported as such. */
  | { kind: 'noSpace'; message: string }

/** Measurements of one attempt, taken by the batch system. */
export interface AttemptStats {
  wallMs: number
  cpuMs: number
  /** Peak resident set in bytes, when known (0 otherwise). */
  maxRss: number
}

export interface RunConfig {
  retryCount: number
  maxJobs: number
  maxCores: number
  maxMemory: number
  maxDisk: number
  /** Seconds before the first retry of a job, doubling with each further failure (0 or absent: none). */
  retryBackoff?: number
  /** Seconds an attempt may run before it is killed and counted as failed (0 or absent: no limit). */
  maxJobDuration?: number
  /** When set, an attempt of a job that declares its `time` may run that long × this factor. */
  timeLimitFactor?: number
  /** Seconds between checks for over-long and lost attempts (absent: 60). */
  rescueFrequency?: number
  /** The batch system that runs the jobs: 'local' or 'slurm' (absent: 'local'). */
  batchSystem?: string
  /** Site options for sbatch (partition, account, QoS, …), as argv words. */
  slurmArgs?: string[]
  /** Every job's disk, asked or default, is reserved on Slurm with --tmp (absent: only the disk jobs ask for). */
  slurmTmpAlways?: boolean
  /** A cluster batch system packs jobs declaring at most this many seconds into one cluster job, up to this much in all (0: never; absent: 30). */
  jobTime?: number
  /** Seconds between two queries of a cluster batch system for the states of the run's jobs (absent: 2). */
  pollInterval?: number
  /**
   * A worker may run a job's lone successor itself, right after the job,
   * instead of handing it back to the leader (absent: never). Set when the
   * batch system can (local); `--no-chaining` turns it off.
   */
  chaining?: boolean
  /** Files nothing can read any more stay in the store (for debugging) instead of being released. */
  keepFiles?: boolean
}

interface Base {
  v: 1
  at: number
}

export interface WorkflowStarted extends Base {
  type: 'WorkflowStarted'
  runId: string
  /** Absolute path of the workflow module the workers import. */
  module: string
  target: string
  epoch: number
  config: RunConfig
}
export interface WorkflowResumed extends Base {
  type: 'WorkflowResumed'
  epoch: number
  config: RunConfig
}
/** The leader was told to stop (a signal, or `jobtree kill`); a restart resumes the run. */
export interface WorkflowInterrupted extends Base {
  type: 'WorkflowInterrupted'
  reason: string
}
export interface WorkflowFinished extends Base {
  type: 'WorkflowFinished'
  ok: boolean
  succeeded: number
  failed: number
  /** Jobs that never ran because something they depend on failed. */
  neverRan: number
}
export interface JobCreated extends Base {
  type: 'JobCreated'
  jobId: number
  /** The job whose successful attempt added this one (-1 for the root). */
  parent: number
  relation: Relation
  spec: JobSpec
}
/**
 * Jobs `first` … `first + count - 1`, added alike by one attempt:
 * consecutive successors with the same relation and the same spec, in one
 * event rather than one each (a parent adding 100,000 identical leaves
 * writes one). Otherwise as JobCreated.
 */
export interface JobsCreated extends Base {
  type: 'JobsCreated'
  first: number
  count: number
  parent: number
  relation: 'child' | 'followOn'
  spec: JobSpec
}
export interface JobIssued extends Base {
  type: 'JobIssued'
  jobId: number
  attempt: number
  epoch: number
  /**
   * Ids set aside for jobs this attempt's worker may chain: the next
   * `reserved` ids from the job tree's next id, handed down the chain one
   * link at a time. Absent: none.
   */
  reserved?: number
  /**
   * The job whose worker ran this one right after it, without handing it
   * back to the leader: recorded with that job's JobFinished, after the fact.
   * This attempt takes the first id left of that job's reservation.
   */
  chainedFrom?: number
}
export interface JobFinished extends Base {
  type: 'JobFinished'
  jobId: number
  attempt: number
  value: unknown
  stats: AttemptStats
  /**
   * The successors this attempt added, created by the JobCreated and
   * JobsCreated events that follow in the same batch: children get ids
   * first .. first+children-1, follow-ons the ids after them.
   */
  successors: { first: number; children: number; followOns: number }
}
export interface JobFailed extends Base {
  type: 'JobFailed'
  jobId: number
  attempt: number
  reason: FailureReason
  stats?: AttemptStats
}
export interface JobRetried extends Base {
  type: 'JobRetried'
  jobId: number
  /** With a retry backoff: the job may not be issued before this time (ms since the epoch). */
  notBefore?: number
}
/** A retried job's backoff has elapsed: it may be issued again. */
export interface JobBackoffElapsed extends Base {
  type: 'JobBackoffElapsed'
  jobId: number
}
export interface JobFailedCompletely extends Base {
  type: 'JobFailedCompletely'
  jobId: number
}
/** A job that had failed completely gets a fresh retry budget (a restart after failures). */
export interface JobRevived extends Base {
  type: 'JobRevived'
  jobId: number
}
/** An issued attempt whose outcome will never arrive (its leader died); it runs again. */
export interface JobAbandoned extends Base {
  type: 'JobAbandoned'
  jobId: number
  attempt: number
  reason: string
}
/**
 * A file an attempt wrote to the store (job -1, attempt 0: a file imported
 * at the start), recorded with that attempt's JobFinished, which makes it
 * visible: the `n`th file of the attempt, whose id names the same fields.
 */
export interface FileWritten extends Base {
  type: 'FileWritten'
  jobId: number
  attempt: number
  n: number
  size: number
  sha256: string
  name: string
}
/** A file a successful attempt deleted: gone from the store with that attempt's JobFinished. */
export interface FileDeleted extends Base {
  type: 'FileDeleted'
  jobId: number
  attempt: number
  file: string
}
/** A successful attempt copied a file out of the store to `path`: the file is kept to the end of the run and after. */
export interface FileExported extends Base {
  type: 'FileExported'
  jobId: number
  attempt: number
  file: string
  path: string
}
/** Files no job can read any more (nothing live names them): removed from the store. */
export interface FilesReleased extends Base {
  type: 'FilesReleased'
  files: string[]
}
/** A job as `jobtree rewind` sends it back to run again: as it was created, with the attempts it has used. */
export interface RewoundJob {
  jobId: number
  parent: number
  relation: Relation
  /** Absent for a job the job tree still holds (it has the spec); present for one that had completed. */
  spec?: JobSpec
  /** Attempts issued so far: the next one is attempts + 1, so that attempt numbers stay unique. */
  attempts: number
}

/** An ancestor of a rewound job that had completed: back in the job tree, as it was when it succeeded. */
export interface ReopenedJob {
  jobId: number
  parent: number
  relation: Relation
  spec: JobSpec
  attempts: number
  value: unknown
  successors: { first: number; children: number; followOns: number }
}

/**
 * `jobtree rewind`: jobs sent back to run again on the next restart, with
 * the code as it is then. Nothing is deleted: the events since of the jobs
 * rewound, and of everything they made, are superseded (replay shows them
 * so), the jobs their attempts made are discarded, and the files those
 * attempts wrote are no longer visible.
 */
export interface JobsRewound extends Base {
  type: 'JobsRewound'
  /** What was asked: these jobs (`--job`), or the run as it was at an event (`--to`). */
  asked: { jobs: number[] } | { toSeq: number }
  /** The jobs that run again, in id order: what was asked, and what depends on it. */
  reset: RewoundJob[]
  /** Their ancestors that had completed, in id order. */
  reopened: ReopenedJob[]
  /** Values of completed jobs a rewound job's input asks for that the job tree had let go. */
  values: Array<{ jobId: number; value: unknown }>
  /** The jobs the superseded attempts made, as id ranges: first and count. */
  discarded: Array<[number, number]>
}
export interface MessageLogged extends Base {
  type: 'MessageLogged'
  jobId: number
  attempt: number
  text: string
}

export type JobEvent =
  | WorkflowStarted
  | WorkflowResumed
  | WorkflowInterrupted
  | WorkflowFinished
  | JobCreated
  | JobsCreated
  | JobIssued
  | JobFinished
  | JobFailed
  | JobRetried
  | JobBackoffElapsed
  | JobFailedCompletely
  | JobAbandoned
  | JobRevived
  | JobsRewound
  | MessageLogged
  | FileWritten
  | FileDeleted
  | FileExported
  | FilesReleased

export type EventType = JobEvent['type']

export const EVENT_TYPES: readonly EventType[] = [
  'WorkflowStarted',
  'WorkflowResumed',
  'WorkflowInterrupted',
  'WorkflowFinished',
  'JobCreated',
  'JobsCreated',
  'JobIssued',
  'JobFinished',
  'JobFailed',
  'JobRetried',
  'JobBackoffElapsed',
  'JobFailedCompletely',
  'JobAbandoned',
  'JobRevived',
  'JobsRewound',
  'MessageLogged',
  'FileWritten',
  'FileDeleted',
  'FileExported',
  'FilesReleased',
]

/** What an attempt did in the file store; it takes effect only if the attempt succeeds. */
export interface AttemptFiles {
  written: WrittenFile[]
  /** Ids of files of other jobs that it deleted. */
  deleted: string[]
  exported: Array<{ file: string; path: string }>
}

/** An event as stored: its position in the log and the event. */
export interface Recorded {
  seq: number
  event: JobEvent
}
