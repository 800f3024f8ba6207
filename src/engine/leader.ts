import { Subject, interval, map, merge, of, takeUntil, lastValueFrom, defaultIfEmpty } from 'rxjs'
import type { BatchSystem } from '../batch/batchSystem.ts'
import type { JobEvent } from '../events/catalogue.ts'
import { resolveTokens } from '../events/promise.ts'
import { describeReason, jobName } from '../projections/describe.ts'
import { evolve, valueOf, type JobTreeState } from '../projections/jobTree.ts'
import { decide } from './decide.ts'
import { groupCommit } from './groupCommit.ts'
import type { Input, ResumeInput, StartInput } from './inputs.ts'
import type { Logger } from './logger.ts'
import { logTail } from './logTail.ts'
import { jobLogFile, type OpenStore } from './store.ts'

// The leader loop: inputs (attempt outcomes from the batch system, clock
// ticks) → decide → evolve → one synced append per batch → act. Acting
// (issuing a job) happens only after the events that justify it are synced:
// a crash at any instant leaves a log that says no more than what was done.

export interface LeaderOptions {
  store: OpenStore
  batch: BatchSystem
  logger: Logger
  /** How often the clock ticks into the loop (ms). */
  tickMs?: number
  /** Called after each committed batch, with the state it produced. */
  onCommit?: (state: JobTreeState, events: readonly JobEvent[]) => void
}

export class Leader {
  private readonly stop$ = new Subject<void>()

  constructor(
    private readonly opts: LeaderOptions,
    private state: JobTreeState,
  ) {}

  get current(): JobTreeState {
    return this.state
  }

  /** Runs until the workflow has finished (or `stop` is called); resolves with the final state. */
  async run(first: StartInput | ResumeInput): Promise<JobTreeState> {
    const { batch, tickMs = 1000 } = this.opts
    const ticks = interval(tickMs).pipe(map((): Input => ({ type: 'Schedule', now: Date.now() })))
    const inputs = merge(of<Input>(first), batch.outcomes, ticks).pipe(takeUntil(this.stop$))
    const done = new Subject<void>()
    try {
      await lastValueFrom(
        inputs.pipe(
          takeUntil(done),
          groupCommit(async (group: Input[]) => {
            await this.commit(group)
            if (this.state.finished !== null) done.next()
          }),
          defaultIfEmpty(0),
        ),
      )
    } finally {
      await batch.shutdown()
    }
    return this.state
  }

  /** Stops issuing and ends `run` after the batch being committed; running jobs are killed. */
  stop(): void {
    this.stop$.next()
  }

  private async commit(group: Input[]): Promise<void> {
    const events: JobEvent[] = []
    for (const input of [...group, { type: 'Schedule', now: Date.now() } as const]) {
      for (const event of decide(this.state, input)) {
        this.state = evolve(this.state, event)
        events.push(event)
      }
    }
    if (events.length === 0) return
    await this.opts.store.log.append(events)
    for (const event of events) this.act(event)
    this.opts.onCommit?.(this.state, events)
  }

  /** What an event, now durable, asks of the outside world. */
  private act(event: JobEvent): void {
    const { logger, store, batch } = this.opts
    switch (event.type) {
      case 'JobIssued': {
        const job = this.state.jobs.get(event.jobId)
        if (job === undefined) return
        const { work } = job.spec
        const resolved = work.kind === 'target'
          ? { ...job.spec, work: { ...work, input: resolveTokens(work.input, (id) => valueOf(this.state, id)) } }
          : job.spec
        logger.debug(`job ${event.jobId} (${jobName(job.spec)}) issued, attempt ${event.attempt}`)
        batch.issue({
          jobId: event.jobId,
          attempt: event.attempt,
          spec: resolved,
          module: this.state.module,
          logFile: jobLogFile(store.paths, event.jobId),
          globalDir: store.paths.global,
        })
        return
      }
      case 'MessageLogged':
        logger.info(`job ${event.jobId} (${this.nameOf(event.jobId)}): ${event.text}`)
        return
      case 'JobFinished':
        logger.debug(`job ${event.jobId} attempt ${event.attempt} finished in ${event.stats.wallMs} ms`)
        return
      case 'JobAbandoned':
        logger.debug(`job ${event.jobId} (${this.nameOf(event.jobId)}) attempt ${event.attempt} will run again: ${event.reason}`)
        return
      case 'JobFailed':
        logger.warn(`job ${event.jobId} (${this.nameOf(event.jobId)}) attempt ${event.attempt} failed: ${describeReason(event.reason)}`)
        return
      case 'JobFailedCompletely': {
        const job = this.state.jobs.get(event.jobId)
        const file = jobLogFile(store.paths, event.jobId)
        const tail = logTail(file)
        logger.error(
          `job ${event.jobId} (${this.nameOf(event.jobId)}) failed completely after ${job?.failures ?? '?'} failed attempt(s)` +
            (job?.lastFailure ? `: ${describeReason(job.lastFailure)}` : '') +
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
