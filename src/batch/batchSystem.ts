import type { Observable } from 'rxjs'
import type { Resources, RunConfig } from '../events/catalogue.ts'
import type { Logger } from '../logger.ts'
import type { AttemptOutcome, HeldAttempt } from '../decider/inputs.ts'
import type { IssuedJob } from '../worker/protocol.ts'

// The one interface every batch system implements: local (batch/local/) and
// Slurm (batch/slurm/); Grid Engine, LSF, PBS or HTCondor would be
// added the same way, in a folder of their own, named in src/batch/choose.ts,
// which the engine uses to open one. The leader calls `issue` only after the
// JobIssued event is synced, and turns each outcome into an input.
//
// A cluster batch system cannot keep its jobs in the leader's process tree,
// so its jobs outlive a leader that dies. Two rules keep them from reporting
// into a later leader unseen: an attempt's result names its job and attempt
// number, and a leader accepts only attempts it issued itself; and
// `reconcile` cancels, before anything is issued, whatever an earlier leader
// of the run left in the cluster (found by a tag such as the job name).

/** What a batch system learns about the run it serves. */
export interface BatchContext {
  runId: string
  /** The store's root: a cluster batch system exchanges tickets and results with its nodes there. */
  storeRoot: string
  logger: Logger
  /** The options of the run's earlier leader, on a restart: it may have used another batch system. */
  previous?: RunConfig | null
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
  /**
   * Whether its workers run a job's lone successor themselves, right after
   * the job (reported as the outcome's `chainedTo`), when the job was issued
   * with ids to chain.
   */
  readonly chains: boolean
  /**
   * Called once by every leader before its first `issue`: cancels (and waits
   * for the end of) the run's jobs an earlier leader left in the batch
   * system, and discards their results. Local workers die with their
   * leader, but one SIGKILLed with it may leave its command running: the
   * local batch system kills what carries the run's id.
   */
  reconcile?(): Promise<void>
  /** Kills everything still running and releases the workers. */
  shutdown(): Promise<void>
}
