import { rmSync } from 'node:fs'
import type { AttemptStats, SuccessorSpec } from '../events/catalogue.ts'
import { JobLog } from './jobLog.ts'
import { beginRawOutput, endRawOutput } from './rawOutput.ts'
import { exceptionReason } from './failure.ts'
import type { AttemptResult, IssuedJob, ResultMessage, RunMessage } from './protocol.ts'
import { attemptTag } from './processGroup.ts'
import { runCommand } from './runCommand.ts'
import { runTarget } from './runTarget.ts'
import { makeTempDir } from './tempDir.ts'

// One attempt of a job in this worker: its log file, its private temp dir and
// its measurements. Clean-up is synchronous so that a worker on its way out
// (an uncaught exception, process.exit in a target) can still do it.

export class Attempt {
  readonly job: IssuedJob
  readonly messages: string[] = []
  /** What a successful target added, in call order. */
  readonly successors: SuccessorSpec[] = []
  private startedAt = performance.now()
  /** CPU time (µs) when the target's clock started; undefined before (a command, or a module that did not import). */
  private cpuAtStart: number | undefined
  private log: JobLog | undefined
  private tempDir: string | undefined

  constructor(private readonly message: RunMessage) {
    this.job = message.job
  }

  /** Runs the job; every failure, even of the set-up, becomes the result (a full disk under its log too). */
  async run(onSpawn: (pgid: number) => void): Promise<AttemptResult> {
    const result = await this.runJob(onSpawn)
    const noSpace = this.log?.noSpace
    return noSpace === undefined ? result : { ok: false, reason: { kind: 'noSpace', message: noSpace } }
  }

  private async runJob(onSpawn: (pgid: number) => void): Promise<AttemptResult> {
    const { job } = this
    try {
      const log = new JobLog(job.logFile, header(job), this.message.maxLogBytes)
      this.log = log
      beginRawOutput(log)
      const { work } = job.spec
      if (work.kind === 'command') {
        return await runCommand({ command: work.command, tempDir: this.ensureTempDir(), log, tag: attemptTag(job.jobId, job.attempt), onSpawn })
      }
      // A target's temp dir is made when it first asks for it: most never do.
      return await runTarget({
        job,
        target: work.target,
        input: work.input,
        tempDir: () => this.ensureTempDir(),
        log,
        messages: this.messages,
        successors: this.successors,
        imported: () => this.startClock(),
      })
    } catch (err) {
      return { ok: false, reason: exceptionReason(err) }
    }
  }

  /** The attempt's own time starts once its workflow module is loaded: a new worker's import is not the job's. */
  private startClock(): void {
    this.startedAt = performance.now()
    this.cpuAtStart = cpuTime(process.resourceUsage())
  }

  private ensureTempDir(): string {
    this.tempDir ??= makeTempDir(this.job.jobId, this.job.attempt)
    return this.tempDir
  }

  /** Cleans up and makes the message that reports `result` (and, when this worker goes on to run it, the chained attempt). */
  finish(result: AttemptResult, exiting: boolean, chained?: IssuedJob): ResultMessage {
    this.discard()
    endRawOutput()
    this.log?.close()
    this.log = undefined
    const { jobId, attempt } = this.job
    return {
      type: 'result',
      jobId,
      attempt,
      result,
      messages: this.messages,
      stats: this.stats(),
      exiting,
      rss: process.memoryUsage.rss(),
      ...(chained === undefined ? {} : { chained: { jobId: chained.jobId, resources: chained.spec.resources } }),
    }
  }

  /** Removes the temp dir (when the worker exits before the attempt could finish). */
  discard(): void {
    if (this.tempDir !== undefined) rmSync(this.tempDir, { recursive: true, force: true })
    this.tempDir = undefined
  }

  private stats(): AttemptStats {
    const wallMs = Math.round(performance.now() - this.startedAt)
    // This process's own usage measures a target; a command's is its child's, which Node does not report.
    if (this.job.spec.work.kind === 'command') return { wallMs, cpuMs: 0, maxRss: 0 }
    // One getrusage for both figures: a call is a measurable share of a no-op job (bench/RESULTS.md, "Figures behind design choices").
    const usage = process.resourceUsage()
    const cpuMs = this.cpuAtStart === undefined ? 0 : Math.round((cpuTime(usage) - this.cpuAtStart) / 1000)
    return { wallMs, cpuMs, maxRss: usage.maxRSS * 1024 }
  }
}

function cpuTime(usage: NodeJS.ResourceUsage): number {
  return usage.userCPUTime + usage.systemCPUTime
}

function header(job: IssuedJob): string {
  const { work } = job.spec
  const what = work.kind === 'target' ? `target ${work.target}` : `command ${JSON.stringify(work.command)}`
  return `=== attempt ${job.attempt} of job ${job.jobId} (${what}) pid ${process.pid} at ${new Date().toISOString()} ===`
}
