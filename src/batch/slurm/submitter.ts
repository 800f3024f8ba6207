import type { Resources } from '../../events/catalogue.ts'
import { oneLine } from '../../errors.ts'
import type { IssuedJob } from '../../worker/protocol.ts'
import { complaint, isTransient, runSlurm } from './commands.ts'
import { packJobs } from './packing.ts'
import { refusal } from './refusal.ts'
import { submission, type Submission, type SubmitContext } from './submission.ts'

// Handing attempts to sbatch: what the leader issues in one batch is packed
// together, a few sbatch calls run at once, what Slurm cannot take now is
// tried again on the next poll, and what it refuses is reported.

export interface Pending {
  readonly job: IssuedJob
  readonly ticket: string
}

export interface SubmitterHooks<M extends Pending> {
  /** False once the attempt was withdrawn (killed, reported): it is not submitted. */
  isOpen(member: M): boolean
  submitted(members: M[], slurmId: string, plan: Submission, at: number): void
  refused(member: M, message: string): void
  warn(key: string, message: string): void
}

export interface SubmitterOptions extends SubmitContext {
  jobTime: number
  /** The largest node, to say why a refused job can never run. */
  largest: Resources
}

const CONCURRENT_SBATCH = 4

export class Submitter<M extends Pending> {
  private waiting: M[] = []
  private toSubmit: M[][] = []
  private readonly inFlight = new Set<Promise<void>>()
  private scheduled = false
  private closed = false

  constructor(
    private readonly opts: SubmitterOptions,
    private readonly hooks: SubmitterHooks<M>,
  ) {}

  add(member: M): void {
    this.waiting.push(member)
    if (this.scheduled) return
    this.scheduled = true
    // Everything the leader issues in one batch is packed together.
    setImmediate(() => this.flush())
  }

  /** Submits again what Slurm could not take earlier. */
  retry(): void {
    if (this.waiting.length > 0 && !this.scheduled) this.flush()
  }

  /** Submits nothing more; resolves when the sbatch calls under way have returned (and their jobs were reported submitted). */
  async close(): Promise<void> {
    this.closed = true
    this.waiting = []
    this.toSubmit = []
    await Promise.all([...this.inFlight])
  }

  private flush(): void {
    this.scheduled = false
    const ready = this.waiting.filter((m) => this.hooks.isOpen(m))
    this.waiting = []
    this.toSubmit.push(...packJobs(ready, this.opts.jobTime))
    this.pump()
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < CONCURRENT_SBATCH && this.toSubmit.length > 0) {
      const group = (this.toSubmit.shift() as M[]).filter((m) => this.hooks.isOpen(m))
      if (group.length === 0) continue
      const submitting: Promise<void> = this.submit(group)
        .catch((err: unknown) => this.hooks.warn('sbatch', `sbatch failed: ${oneLine(err)}`))
        .finally(() => {
          this.inFlight.delete(submitting)
          this.pump()
        })
      this.inFlight.add(submitting)
    }
  }

  private async submit(group: M[]): Promise<void> {
    const plan = submission(
      group.map((m) => m.job),
      group.map((m) => m.ticket),
      this.opts,
    )
    const at = Date.now()
    const result = await runSlurm('sbatch', plan.args)
    if (result.code === 0) return this.hooks.submitted(group, result.stdout.trim().split(';')[0], plan, at)
    if (isTransient(result)) {
      this.hooks.warn('sbatch', `Slurm cannot take jobs now (${complaint(result)}); trying again at each poll`)
      this.waiting.push(...group)
      return
    }
    // A pack may be refused for its sum (a time limit the partition does not allow): its jobs try alone.
    if (group.length > 1) {
      this.toSubmit.push(...group.map((m) => [m]))
      return
    }
    const [member] = group
    this.hooks.refused(member, refusal(complaint(result), member.job.spec, plan, this.opts))
  }
}
