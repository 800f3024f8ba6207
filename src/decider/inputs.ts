import type {
  AttemptFiles,
  AttemptStats,
  FailureReason,
  JobFinished,
  JobSpec,
  JobsRewound,
  Relation,
  RunConfig,
  SuccessorSpec,
  WrittenFile,
} from '../events/catalogue.ts'

// What the leader's decider reacts to. Inputs are facts from outside the
// log (a start request, an attempt's outcome, the clock); `decide` turns each
// into the events to record. `now` is an input so that deciding stays pure.

export interface StartInput {
  type: 'Start'
  now: number
  runId: string
  module: string
  target: string
  root: JobSpec
  config: RunConfig
  /** Files copied into the store for the root's input, before it was recorded (job -1, attempt 0). */
  imports?: WrittenFile[]
}

export interface ResumeInput {
  type: 'Resume'
  now: number
  config: RunConfig
}

export interface AttemptSucceeded {
  type: 'AttemptSucceeded'
  now: number
  jobId: number
  attempt: number
  value: unknown
  /** In the order the attempt added them; promise tokens in them may be local. */
  successors: SuccessorSpec[]
  messages: string[]
  stats: AttemptStats
  /** What it wrote, deleted and exported in the file store (absent: nothing). */
  files?: AttemptFiles
  /** The worker went on to run the lone successor itself, as attempt 1 of this job id (its attempt's first id set aside for chaining). */
  chainedTo?: number
}

export interface AttemptFailed {
  type: 'AttemptFailed'
  now: number
  jobId: number
  attempt: number
  reason: FailureReason
  messages: string[]
  stats?: AttemptStats
}

/** Issue what may be issued; notice when the run has nothing left to do. */
export interface ScheduleInput {
  type: 'Schedule'
  now: number
}

/** An attempt the batch system holds, as it reports it. */
export interface HeldAttempt {
  jobId: number
  attempt: number
  /**
   * How long it has run (ms), measured by the batch system on a clock that
   * wall-clock steps do not move where it has one; null while it waits for
   * resources, and once it has ended with its outcome not yet reported.
   */
  ranMs: number | null
}

/** The rescue check: what the batch system holds right now, to find over-long and lost attempts. */
export interface RescueInput {
  type: 'Rescue'
  now: number
  held: HeldAttempt[]
}

/** The leader was told to stop. */
export interface InterruptInput {
  type: 'Interrupt'
  now: number
  reason: string
}

/**
 * What the log holds of one job, as far as a rewind needs it: how it was
 * made, and its current successful attempt (not one a rewind superseded).
 */
export interface LoggedJob {
  readonly jobId: number
  readonly parent: number
  readonly relation: Relation
  readonly spec: JobSpec
  /** Attempts issued so far. */
  readonly attempts: number
  readonly finished: { readonly attempt: number; readonly value: unknown; readonly successors: JobFinished['successors'] } | null
  /** The event that created it, and the newest one about it since (its creation's, if none). */
  readonly createdSeq: number
  readonly lastSeq: number
}

/** Every job of the run the log still counts (none a rewind discarded), by id. */
export type RunHistory = ReadonlyMap<number, LoggedJob>

/** `jobtree rewind`: send jobs back to run again, and what depends on them. */
export interface RewindInput {
  type: 'Rewind'
  now: number
  asked: JobsRewound['asked']
  history: RunHistory
}

export type AttemptOutcome = AttemptSucceeded | AttemptFailed

export type Input = StartInput | ResumeInput | AttemptOutcome | ScheduleInput | RescueInput | InterruptInput | RewindInput

/** An input that cannot be decided on in this state: a bug in the caller, or (RewindRefused) a request that cannot be met. */
export class DecisionError extends Error {}
