import type { AttemptStats, FailureReason, JobSpec, Relation, RunConfig } from '../events/catalogue.ts'

// What the leader's decider reacts to. Inputs are facts from outside the
// log (a start request, an attempt's outcome, the clock); `decide` turns each
// into the events to record. `now` is an input so that deciding stays pure.

export interface SuccessorSpec {
  relation: Exclude<Relation, 'root'>
  spec: JobSpec
}

export interface StartInput {
  type: 'Start'
  now: number
  runId: string
  module: string
  target: string
  root: JobSpec
  config: RunConfig
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

export type AttemptOutcome = AttemptSucceeded | AttemptFailed

export type Input = StartInput | ResumeInput | AttemptOutcome | ScheduleInput
