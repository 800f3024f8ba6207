import { Subject, type Observable } from 'rxjs'
import { formatSize } from '../../sizes.ts'
import { clock } from '../../clock.ts'
import type { AttemptOutcome, HeldAttempt } from '../../decider/inputs.ts'
import type { Resources } from '../../events/catalogue.ts'
import type { BatchSystem } from '../batchSystem.ts'
import { groupsRss, memoryCeiling, rssOf } from './memoryWatch.ts'
import { WorkerPool, type Slot } from './workerPool.ts'
import { killTagged, RUN_TAG } from '../../worker/processGroup.ts'
import { ofRun, removeTempDirs } from '../../worker/tempDir.ts'
import { resultOutcome, type IssuedJob, type ResultMessage, type RunMessage } from '../../worker/protocol.ts'

// The batch system of one machine: attempts wait in a FIFO queue until their
// cores, memory and disk fit in what is free, then run in warm worker
// processes. A job that does not fit yet is skipped for later ones that do
// (backfill), so small jobs keep the machine busy while a big one waits.

export interface LocalBatchOptions {
  maxCores: number
  maxMemory: number
  maxDisk: number
  /** A job's log file is cut back to its newest part past this size (default 1 MiB). */
  maxLogBytes?: number
  /** How often jobs' memory is checked (default every second). */
  memoryCheckMs?: number
  /** The run's id: `reconcile` ends what an earlier leader of the run left running. */
  runId?: string
}

interface Held {
  attempt: number
  resources: Slot
  /**
   * When it started in its worker, on the monotonic clock (null while it waits
   * for resources, a worker, or the attempt queued before it): its time limit runs from then.
   */
  startedAt: number | null
  /** Its worker's resident memory when it started; undefined until then. */
  baseline: number | undefined
}

// Fractional cores add up with rounding errors; memory and disk are whole bytes.
const CORE_SLACK = 1e-9

export class LocalBatchSystem implements BatchSystem {
  readonly name = 'local'
  readonly chains = true
  readonly limits: Resources
  private readonly subject = new Subject<AttemptOutcome>()
  readonly outcomes: Observable<AttemptOutcome> = this.subject.asObservable()
  private readonly maxLogBytes: number
  private readonly pool: WorkerPool
  /** The run whose jobs these are, if known: its workers, and all they start, carry it in their environment. */
  private readonly runId: string | undefined
  /** Attempts waiting for resources, oldest first. */
  private readonly queue: IssuedJob[] = []
  /** The order in which attempts were issued here, so that one given back takes its place again. */
  private readonly arrival = new WeakMap<IssuedJob, number>()
  private arrivals = 0
  /** Attempts given to a worker: running, or queued there behind another. */
  private readonly running = new Map<number, Held>()
  private readonly timer: NodeJS.Timeout
  /** Unschedulable attempts whose failure is about to be reported. */
  private readonly rejecting = new Map<number, IssuedJob>()
  /** What the workers' slots hold. */
  private readonly used: Slot = { cores: 0, memory: 0, disk: 0 }
  private kicked = false
  private closed = false

  constructor(opts: LocalBatchOptions) {
    this.runId = opts.runId
    this.pool = new WorkerPool(
      {
        started: (jobId, rss) => {
          const held = this.running.get(jobId)
          if (held === undefined) return
          held.startedAt = clock.mono()
          held.baseline = rss
        },
        result: (message) => this.finished(message.jobId, message.attempt, () => resultOutcome(message), message),
        died: (jobId, attempt, code, signal) =>
          this.finished(jobId, attempt, () => ({
            type: 'AttemptFailed',
            now: Date.now(),
            jobId,
            attempt,
            reason: { kind: 'workerDied', code, signal },
            messages: [],
          })),
        returned: (run) => {
          if (this.closed || this.running.get(run.job.jobId)?.attempt !== run.job.attempt) return
          this.running.delete(run.job.jobId)
          this.requeue(run.job)
          this.kick()
        },
        freed: (slot) => {
          this.adjustUsed(slot, -1)
          this.kick()
        },
      },
      opts.runId,
    )
    this.limits = { cores: opts.maxCores, memory: opts.maxMemory, disk: opts.maxDisk, time: 0 }
    this.maxLogBytes = opts.maxLogBytes ?? 2 ** 20
    this.timer = setInterval(() => {
      this.checkMemory()
      // An attempt that runs long holds up what was queued behind it: another worker may take that.
      this.pool.revokeQueued(false, clock.mono())
    }, opts.memoryCheckMs ?? 1000).unref()
  }

  held(): HeldAttempt[] {
    const now = clock.mono()
    return [
      ...[...this.running].map(([jobId, { attempt, startedAt }]) => ({ jobId, attempt, ranMs: startedAt === null ? null : Math.floor(now - startedAt) })),
      ...this.queue.map((job) => ({ jobId: job.jobId, attempt: job.attempt, ranMs: null })),
      ...[...this.rejecting.values()].map((job) => ({ jobId: job.jobId, attempt: job.attempt, ranMs: null })),
    ]
  }

  /** Kills attempts that use more memory than they asked for, beyond a margin, and says so. */
  private checkMemory(): void {
    if (this.running.size === 0) return
    const usage = new Map<number, number>()
    const groups = new Map<number, number>()
    for (const [jobId, held] of this.running) {
      if (held.startedAt === null) continue
      const procs = this.pool.processes(jobId)
      if (procs?.group !== undefined) groups.set(procs.group, jobId)
      else if (procs?.pid !== undefined && held.baseline !== undefined) usage.set(jobId, rssOf(procs.pid) - held.baseline)
    }
    for (const [group, rss] of groupsRss(new Set(groups.keys()))) usage.set(groups.get(group) as number, rss)
    for (const [jobId, used] of usage) {
      const held = this.running.get(jobId)
      if (held === undefined) continue
      const asked = held.resources.memory
      if (used <= memoryCeiling(asked)) continue
      this.pool.kill(jobId)
      this.finished(jobId, held.attempt, () => ({
        type: 'AttemptFailed',
        now: Date.now(),
        jobId,
        attempt: held.attempt,
        reason: { kind: 'outOfMemory', usedBytes: used, askedBytes: asked },
        messages: [],
      }))
    }
  }

  issue(job: IssuedJob): void {
    if (this.closed) return
    const why = overLimits(job.spec.resources, this.limits)
    if (why === undefined) {
      this.arrival.set(job, this.arrivals++)
      this.queue.push(job)
      this.kick()
      return
    }
    // Never from inside issue(): the leader may not expect an outcome before issue returns.
    this.rejecting.set(job.jobId, job)
    setImmediate(() => {
      if (!this.rejecting.delete(job.jobId)) return
      this.subject.next({
        type: 'AttemptFailed',
        now: Date.now(),
        jobId: job.jobId,
        attempt: job.attempt,
        reason: { kind: 'unschedulable', message: why },
        messages: [],
      })
    })
  }

  /**
   * Workers die with their leader and end their commands as they go, but a
   * worker SIGKILLed as its leader died could not: what it started carries
   * the run's id, and is killed here before the new leader issues anything.
   */
  async reconcile(): Promise<void> {
    if (this.runId === undefined) return
    killTagged(RUN_TAG, this.runId)
    // Its workers are dead now, and none of this leader's has run anything yet.
    await removeTempDirs(ofRun(this.runId))
  }

  kill(jobId: number): void {
    this.rejecting.delete(jobId)
    const queued = this.queue.findIndex((job) => job.jobId === jobId)
    if (queued >= 0) this.queue.splice(queued, 1)
    if (!this.running.delete(jobId)) return
    this.pool.kill(jobId)
  }

  async shutdown(): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    this.queue.length = 0
    this.rejecting.clear()
    this.running.clear()
    await this.pool.shutdown()
    this.subject.complete()
  }

  /** Looks for what can start, once the current turn of the event loop has issued and finished what it will. */
  private kick(): void {
    if (this.kicked || this.closed) return
    this.kicked = true
    queueMicrotask(() => {
      this.kicked = false
      if (!this.closed) this.startWhatFits()
    })
  }

  private startWhatFits(): void {
    const now = clock.mono()
    // Once every core is taken nothing else fits: stop rather than walk a long queue after each job.
    for (let i = 0; i < this.queue.length && this.used.cores < this.limits.cores - CORE_SLACK; ) {
      const job = this.queue[i]
      if (!this.fits(job.spec.resources)) {
        i += 1
        continue
      }
      this.queue.splice(i, 1)
      const { resources } = this.hold(job.jobId, job.attempt, job.spec.resources, null)
      this.adjustUsed(resources, 1)
      this.pool.start(this.runOf(job), resources)
    }
    // Every core is taken: the oldest waiting attempts queue behind short
    // running ones that have room for them, in order (a big one that fits
    // nowhere stops this, so that slots drain until it fits).
    while (this.queue.length > 0 && this.pool.queueBehind(this.runOf(this.queue[0]), now)) {
      const job = this.queue.shift() as IssuedJob
      this.hold(job.jobId, job.attempt, job.spec.resources, null)
    }
    // Nothing waits and a core is free: attempts queued behind others can run now.
    if (this.queue.length === 0 && this.used.cores < this.limits.cores - CORE_SLACK && this.pool.hasQueued) this.pool.revokeQueued(true, now)
  }

  /**
   * Puts an attempt given back unstarted where its issue order puts it:
   * attempts asked back together arrive one by one, and putting each at the
   * front would run them in reverse.
   */
  private requeue(job: IssuedJob): void {
    const order = this.arrival.get(job) ?? -1
    const at = this.queue.findIndex((waiting) => (this.arrival.get(waiting) ?? -1) > order)
    this.queue.splice(at === -1 ? this.queue.length : at, 0, job)
  }

  /** Records an attempt as given to a worker (started at `startedAt`, or not yet). */
  private hold(jobId: number, attempt: number, { cores, memory, disk }: Slot, startedAt: number | null): Held {
    const held: Held = { attempt, resources: { cores, memory, disk }, startedAt, baseline: undefined }
    this.running.set(jobId, held)
    return held
  }

  private runOf(job: IssuedJob): RunMessage {
    return { type: 'run', job, maxLogBytes: this.maxLogBytes }
  }

  private fits(asked: Slot): boolean {
    const { used, limits } = this
    return used.cores + asked.cores <= limits.cores + CORE_SLACK && used.memory + asked.memory <= limits.memory && used.disk + asked.disk <= limits.disk
  }

  private adjustUsed(asked: Slot, sign: 1 | -1): void {
    this.used.cores += sign * asked.cores
    this.used.memory += sign * asked.memory
    this.used.disk += sign * asked.disk
  }

  /** An attempt's outcome; a worker that went on to run the attempt's lone successor holds it from now on. */
  private finished(jobId: number, attempt: number, outcome: () => AttemptOutcome, message?: ResultMessage): void {
    if (this.running.get(jobId)?.attempt !== attempt) return
    this.running.delete(jobId)
    const chained = message?.chained
    const reported = outcome()
    if (chained !== undefined && reported.type === 'AttemptSucceeded') {
      this.hold(chained.jobId, 1, chained.resources, clock.mono()).baseline = message?.rss
      reported.chainedTo = chained.jobId
    }
    this.subject.next(reported)
  }
}

/** Why a job can never run here, or undefined if it can. */
function overLimits(asked: Resources, limits: Resources): string | undefined {
  const problems: string[] = []
  if (asked.cores > limits.cores) problems.push(`asks for ${asked.cores} cores but this machine allows ${limits.cores} (--max-cores)`)
  if (asked.memory > limits.memory) {
    problems.push(`asks for ${formatSize(asked.memory)} of memory but at most ${formatSize(limits.memory)} is allowed (--max-memory)`)
  }
  if (asked.disk > limits.disk) problems.push(`asks for ${formatSize(asked.disk)} of disk but at most ${formatSize(limits.disk)} is allowed (--max-disk)`)
  return problems.length === 0 ? undefined : problems.join('; ')
}
