import { Subject, type Observable } from 'rxjs'
import { formatSize } from '../api/sizes.ts'
import type { AttemptOutcome, HeldAttempt } from '../engine/inputs.ts'
import type { Resources } from '../events/catalogue.ts'
import type { BatchSystem, IssuedJob } from './batchSystem.ts'
import { groupsRss, memoryCeiling, rssOf } from './memoryWatch.ts'
import { resultOutcome } from './outcome.ts'
import { WorkerPool } from './workerPool.ts'

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
}

type Packed = Pick<Resources, 'cores' | 'memory' | 'disk'>

interface Running {
  job: IssuedJob
  /** When a worker took the attempt (null while one starts up for it): its time limit runs from then, not from a worker's start-up. */
  startedAt: number | null
  /** The worker's resident memory when the attempt was handed to it; undefined until then. */
  baseline: number | undefined
}

// Fractional cores add up with rounding errors; memory and disk are whole bytes.
const CORE_SLACK = 1e-9

export class LocalBatchSystem implements BatchSystem {
  readonly name = 'local'
  readonly limits: Resources
  private readonly subject = new Subject<AttemptOutcome>()
  readonly outcomes: Observable<AttemptOutcome> = this.subject.asObservable()
  private readonly maxLogBytes: number
  private readonly pool = new WorkerPool({
    result: (message) => this.finished(message.jobId, message.attempt, () => resultOutcome(message)),
    died: (job, code, signal) =>
      this.finished(job.jobId, job.attempt, () => ({
        type: 'AttemptFailed', now: Date.now(), jobId: job.jobId, attempt: job.attempt, reason: { kind: 'workerDied', code, signal }, messages: [],
      })),
    dispatched: (jobId, rss) => {
      const run = this.running.get(jobId)
      if (run === undefined) return
      run.startedAt = Date.now()
      run.baseline = rss
    },
  })
  private readonly queue: IssuedJob[] = []
  private readonly running = new Map<number, Running>()
  private readonly memoryTimer: NodeJS.Timeout
  /** Unschedulable attempts whose failure is about to be reported. */
  private readonly rejecting = new Map<number, IssuedJob>()
  private readonly used: Packed = { cores: 0, memory: 0, disk: 0 }
  private closed = false

  constructor(opts: LocalBatchOptions) {
    this.limits = { cores: opts.maxCores, memory: opts.maxMemory, disk: opts.maxDisk, time: 0 }
    this.maxLogBytes = opts.maxLogBytes ?? 2 ** 20
    this.memoryTimer = setInterval(() => this.checkMemory(), opts.memoryCheckMs ?? 1000).unref()
  }

  held(): HeldAttempt[] {
    return [
      ...[...this.running.values()].map(({ job, startedAt }) => ({ jobId: job.jobId, attempt: job.attempt, startedAt })),
      ...this.queue.map((job) => ({ jobId: job.jobId, attempt: job.attempt, startedAt: null })),
      ...[...this.rejecting.values()].map((job) => ({ jobId: job.jobId, attempt: job.attempt, startedAt: null })),
    ]
  }

  /** Kills attempts that use more memory than they asked for, beyond a margin, and says so. */
  private checkMemory(): void {
    if (this.running.size === 0) return
    const usage = new Map<number, number>()
    const groups = new Map<number, number>()
    for (const [jobId, run] of this.running) {
      const procs = this.pool.processes(jobId)
      if (procs?.group !== undefined) groups.set(procs.group, jobId)
      else if (procs?.pid !== undefined && run.baseline !== undefined) usage.set(jobId, rssOf(procs.pid) - run.baseline)
    }
    for (const [group, rss] of groupsRss(new Set(groups.keys()))) usage.set(groups.get(group) as number, rss)
    for (const [jobId, used] of usage) {
      const run = this.running.get(jobId)
      if (run === undefined) continue
      const asked = run.job.spec.resources.memory
      if (used <= memoryCeiling(asked)) continue
      this.pool.kill(jobId)
      this.finished(jobId, run.job.attempt, () => ({
        type: 'AttemptFailed', now: Date.now(), jobId, attempt: run.job.attempt,
        reason: { kind: 'outOfMemory', usedBytes: used, askedBytes: asked }, messages: [],
      }))
    }
  }

  issue(job: IssuedJob): void {
    if (this.closed) return
    const why = overLimits(job.spec.resources, this.limits)
    if (why === undefined) {
      this.queue.push(job)
      this.startWhatFits()
      return
    }
    // Never from inside issue(): the leader may not expect an outcome before issue returns.
    this.rejecting.set(job.jobId, job)
    setImmediate(() => {
      if (!this.rejecting.delete(job.jobId)) return
      this.subject.next({
        type: 'AttemptFailed', now: Date.now(), jobId: job.jobId, attempt: job.attempt, reason: { kind: 'unschedulable', message: why }, messages: [],
      })
    })
  }

  kill(jobId: number): void {
    this.rejecting.delete(jobId)
    const queued = this.queue.findIndex((job) => job.jobId === jobId)
    if (queued >= 0) this.queue.splice(queued, 1)
    if (!this.running.has(jobId)) return
    this.pool.kill(jobId)
    this.release(jobId)
    this.startWhatFits()
  }

  async shutdown(): Promise<void> {
    this.closed = true
    clearInterval(this.memoryTimer)
    this.queue.length = 0
    this.rejecting.clear()
    this.running.clear()
    await this.pool.shutdown()
    this.subject.complete()
  }

  private startWhatFits(): void {
    // Once every core is taken nothing else fits: stop rather than walk a long queue after each job.
    for (let i = 0; i < this.queue.length && this.used.cores < this.limits.cores - CORE_SLACK; ) {
      const job = this.queue[i]
      if (!this.fits(job.spec.resources)) {
        i += 1
        continue
      }
      this.queue.splice(i, 1)
      this.running.set(job.jobId, { job, startedAt: null, baseline: undefined })
      this.adjustUsed(job.spec.resources, 1)
      this.pool.run({ type: 'run', job, maxLogBytes: this.maxLogBytes })
    }
  }

  private fits(asked: Packed): boolean {
    const { used, limits } = this
    return used.cores + asked.cores <= limits.cores + CORE_SLACK && used.memory + asked.memory <= limits.memory && used.disk + asked.disk <= limits.disk
  }

  private adjustUsed(asked: Packed, sign: 1 | -1): void {
    this.used.cores += sign * asked.cores
    this.used.memory += sign * asked.memory
    this.used.disk += sign * asked.disk
  }

  private release(jobId: number): void {
    const run = this.running.get(jobId)
    if (run === undefined) return
    this.running.delete(jobId)
    this.adjustUsed(run.job.spec.resources, -1)
  }

  private finished(jobId: number, attempt: number, outcome: () => AttemptOutcome): void {
    if (this.running.get(jobId)?.job.attempt !== attempt) return
    this.release(jobId)
    this.subject.next(outcome())
    this.startWhatFits()
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
