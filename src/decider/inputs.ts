import type { AttemptFiles, AttemptStats, FailureReason, JobSpec, RunConfig, SuccessorSpec, WrittenFile } from '../events/catalogue.ts'

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

export type AttemptOutcome = AttemptSucceeded | AttemptFailed

export type Input = StartInput | ResumeInput | AttemptOutcome | ScheduleInput | RescueInput | InterruptInput
