import type { Observable } from 'rxjs'
import type { JobSpec, Resources } from '../events/catalogue.ts'
import type { AttemptOutcome, HeldAttempt } from '../engine/inputs.ts'

// The one interface every batch system implements (local today; Slurm, Grid
// Engine, LSF, PBS or HTCondor the same way). The leader calls `issue` only
// after the JobIssued event is synced, and turns each outcome into an input.

export interface IssuedJob {
  jobId: number
  attempt: number
  /** The job, with every promise in its input already resolved. */
  spec: JobSpec
  /** Absolute path of the workflow module that registers the targets. */
  module: string
  /** The job's log file: stdout and stderr of every attempt are appended to it. */
  logFile: string
  /** The run's shared directory (ctx.globalDir). */
  globalDir: string
}

export interface BatchSystem {
  readonly name: string
  /** The largest resources one job may ask for here; a job over them is reported unschedulable. */
  readonly limits: Resources
  /**
   * Runs the attempt once resources allow. Exactly one outcome is reported for
   * each issued attempt, unless it is killed or the batch system shut down.
   */
  issue(job: IssuedJob): void
  /** Every attempt's outcome, as the leader's input. */
  readonly outcomes: Observable<AttemptOutcome>
  /**
   * Every attempt issued here whose outcome has not been reported yet, waiting
   * or running (with when it started). The leader's rescue check compares it
   * with the log to find attempts that run too long or that were lost.
   */
  held(): HeldAttempt[]
  /** Stops an attempt (its whole process group) without reporting an outcome for it. */
  kill(jobId: number): void
  /** Kills everything still running and releases the workers. */
  shutdown(): Promise<void>
}
