import { printable } from '../printable.ts'
import { Subject, concatMap, defaultIfEmpty, interval, lastValueFrom, map, merge, of, takeUntil } from 'rxjs'
import type { BatchSystem } from '../batch/batchSystem.ts'
import type { JobEvent } from '../events/catalogue.ts'
import { resolveTokens } from '../events/promise.ts'
import { describeReason, failedAttempts, inputSummary, jobName } from '../audit/describe.ts'
import { evolveAll, valueOf } from '../decider/jobTree.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import { decide } from '../decider/decide.ts'
import { groupCommit } from './groupCommit.ts'
import type { AttemptSucceeded, HeldAttempt, Input, ResumeInput, StartInput } from '../decider/inputs.ts'
import type { Logger } from '../logger.ts'
import { logTail } from '../logTail.ts'
import { jobLogFile, type OpenStore } from '../store/store.ts'
import { removeAttemptFiles, removeStoreFile } from '../files/removal.ts'
import { FailureWarnings } from './failureWarnings.ts'

// The leader loop: inputs (attempt outcomes from the batch system, clock
// ticks) → decide → evolve → one synced append per batch → act. Acting
// (issuing a job) happens only after the events that justify it are synced:
// a crash at any instant leaves a log that says no more than what was done.

export interface LeaderOptions {
  store: OpenStore
  batch: BatchSystem
  logger: Logger
  /** The time the leader records and decides by (ms since the epoch): see recordClock. */
  now: () => number
  /** How often the clock ticks into the loop (ms): backoffs end on a tick. */
  tickMs?: number
  /** Called after each committed batch, with the state it produced and the sequence number of its last event. */
  onCommit?: (state: JobTreeState, events: readonly JobEvent[], seq: number) => void
}

/** A rescue check is due: it becomes a Rescue input when its batch is decided, so that what the batch system holds is read then. */
interface RescueDue {
  type: 'RescueDue'
}

type LoopInput = Input | RescueDue

const DEFAULT_RESCUE_SECONDS = 60

/**
 * Resolves once the input already waiting to be read (worker messages in
 * their pipes) has been taken in: each setImmediate runs after a poll for I/O,
 * and the second after a poll that follows the first's callbacks.
 */
function afterWaitingInput(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)))
}

export class Leader {
  private readonly control = new Subject<LoopInput>()
  private readonly failures: FailureWarnings

  constructor(
    private readonly opts: LeaderOptions,
    private state: JobTreeState,
  ) {
    this.failures = new FailureWarnings(opts.logger)
  }

  /** The attempts its batch system holds now, running or queued for resources. */
  held(): HeldAttempt[] {
    return this.opts.batch.held()
  }

  get current(): JobTreeState {
    return this.state
  }

  /** Runs until the workflow has finished (or `stop` is called); resolves with the final state. */
  async run(first: StartInput | ResumeInput): Promise<JobTreeState> {
    const { batch, tickMs = 1000 } = this.opts
    const rescueMs = 1000 * (first.config.rescueFrequency ?? DEFAULT_RESCUE_SECONDS)
    const ticks = interval(tickMs).pipe(map((): LoopInput => ({ type: 'Schedule', now: this.opts.now() })))
    // A leader that was frozen (SIGSTOP, a stalled VM) may see its rescue
    // timer before the results its workers sent meanwhile: those are read
    // first, so that an attempt that finished in time is not judged over it.
    const rescues = interval(rescueMs).pipe(
      concatMap(afterWaitingInput),
      map((): LoopInput => ({ type: 'RescueDue' })),
    )
    const done = new Subject<void>()
    try {
      await lastValueFrom(
        merge(of<LoopInput>(first), batch.outcomes, ticks, rescues, this.control).pipe(
          takeUntil(done),
          groupCommit(async (group: LoopInput[]) => {
            await this.commit(group)
            if (this.state.finished !== null || this.state.interrupted !== null) done.next()
          }),
          defaultIfEmpty(0),
        ),
      )
    } finally {
      // Only now, with WorkflowInterrupted or WorkflowFinished synced, are running jobs killed.
      await batch.shutdown()
      this.failures.flush()
    }
    return this.state
  }

  /**
   * Stops the run: a WorkflowInterrupted event is recorded, the attempts out
   * are abandoned (a restart runs them again), and `run` ends after killing them.
   */
  stop(reason: string): void {
    this.control.next({ type: 'Interrupt', now: this.opts.now(), reason })
  }

  private async commit(group: LoopInput[]): Promise<void> {
    const events: JobEvent[] = []
    // A rescue check compares the log with what the batch system holds now:
    // it comes after the outcomes the batch system has already reported (they
    // are in this group, and it holds those attempts no more), and before any
    // issue decided here (the batch system gets those only after the append).
    // Otherwise either looks lost.
    const order = (i: LoopInput) => (i.type === 'Schedule' ? 2 : i.type === 'RescueDue' ? 1 : 0)
    const ordered = [...group].sort((a, b) => order(a) - order(b))
    for (const loopInput of [...ordered, { type: 'Schedule', now: this.opts.now() } as const]) {
      // Every input is decided at the leader's time, which orders the log (a
      // batch system's own `now` may come from a clock that jumped).
      const now = this.opts.now()
      const input: Input = loopInput.type === 'RescueDue' ? { type: 'Rescue', now, held: this.opts.batch.held() } : { ...loopInput, now }
      const decided = decide(this.state, input)
      this.state = evolveAll(this.state, decided)
      for (const event of decided) events.push(event)
    }
    if (events.length === 0) return
    const seq = await this.opts.store.log.append(events)
    for (const event of events) this.act(event)
    this.stopUnrecordedChains(group, events)
    this.opts.onCommit?.(this.state, events, seq)
  }

  /** A worker chained a job that was not recorded as issued (its run is stopping, or the outcome came too late): it must not run. */
  private stopUnrecordedChains(group: readonly LoopInput[], events: readonly JobEvent[]): void {
    const chained = group.filter((i): i is AttemptSucceeded & { chainedTo: number } => i.type === 'AttemptSucceeded' && i.chainedTo !== undefined)
    if (chained.length === 0) return
    const recorded = new Set(events.flatMap((e) => (e.type === 'JobIssued' && e.chainedFrom !== undefined ? [e.jobId] : [])))
    for (const input of chained) if (!recorded.has(input.chainedTo)) this.opts.batch.kill(input.chainedTo)
  }

  /** What an event, now durable, asks of the outside world. */
  private act(event: JobEvent): void {
    const { logger, store, batch } = this.opts
    switch (event.type) {
      case 'JobIssued': {
        const job = this.state.jobs.get(event.jobId)
        // A chained attempt already runs in the worker that chained it.
        if (job === undefined || event.chainedFrom !== undefined) return
        const { work } = job.spec
        const resolved =
          work.kind === 'target' ? { ...job.spec, work: { ...work, input: resolveTokens(work.input, (id) => valueOf(this.state, id)) } } : job.spec
        logger.debug(`job ${event.jobId} (${jobName(job.spec)}) issued, attempt ${event.attempt}`)
        batch.issue({
          jobId: event.jobId,
          attempt: event.attempt,
          spec: resolved,
          module: this.state.module,
          logFile: jobLogFile(store.paths, event.jobId),
          globalDir: store.paths.global,
          filesDir: store.paths.files,
          runId: this.state.runId,
          ...(job.chainLeft > 0 ? { chain: { first: job.chainFirst, left: job.chainLeft } } : {}),
        })
        return
      }
      case 'MessageLogged':
        logger.info(`job ${event.jobId} (${this.nameOf(event.jobId)}): ${printable(event.text)}`)
        return
      case 'JobFinished':
        logger.debug(`job ${event.jobId} attempt ${event.attempt} finished in ${event.stats.wallMs} ms`)
        return
      case 'FileDeleted':
        removeStoreFile(store.paths.files, event.file)
        return
      case 'FilesReleased':
        for (const file of event.files) removeStoreFile(store.paths.files, file)
        logger.debug(`${event.files.length} file(s) released`)
        return
      case 'JobAbandoned':
        removeAttemptFiles(store.paths.files, event.jobId, event.attempt)
        logger.debug(`job ${event.jobId} (${this.nameOf(event.jobId)}) attempt ${event.attempt} will run again: ${event.reason}`)
        return
      case 'JobFailed':
        // Over-long or lost attempts are failed by the leader: now that this is recorded, stop them.
        if (event.reason.kind === 'timeout' || event.reason.kind === 'lost') batch.kill(event.jobId)
        removeAttemptFiles(store.paths.files, event.jobId, event.attempt)
        this.failures.failed(`job ${event.jobId} (${this.nameOf(event.jobId)}) attempt ${event.attempt} failed: ${printable(describeReason(event.reason))}`)
        return
      case 'WorkflowInterrupted':
        logger.warn(`run interrupted (${event.reason}): stopping its jobs; resume with --restart`)
        return
      case 'JobFailedCompletely': {
        const job = this.state.jobs.get(event.jobId)
        const file = jobLogFile(store.paths, event.jobId)
        const tail = logTail(file)
        logger.error(
          `job ${event.jobId} (${this.nameOf(event.jobId)}) failed completely ${job === undefined ? '' : failedAttempts(job.failures, job.attempts)}` +
            (job?.lastFailure ? `: ${printable(describeReason(job.lastFailure))}` : '') +
            (job && job.spec.work.kind === 'target' ? `\n  input: ${inputSummary(job.spec)}` : '') +
            (tail ? `\n--- last lines of ${file} ---\n${tail}\n---` : ''),
        )
        return
      }
      default:
        return
    }
  }

  private nameOf(jobId: number): string {
    const job = this.state.jobs.get(jobId)
    return job === undefined ? '?' : jobName(job.spec)
  }
}
