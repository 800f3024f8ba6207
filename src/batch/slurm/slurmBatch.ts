import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Subject, type Observable } from 'rxjs'
import type { AttemptOutcome, HeldAttempt } from '../../decider/inputs.ts'
import type { Logger } from '../../logger.ts'
import type { FailureReason, Resources } from '../../events/catalogue.ts'
import { decodeValue, encodeValue } from '../../events/codec.ts'
import { oneLine } from '../../errors.ts'
import { exceptionReason } from '../../worker/failure.ts'
import { resultOutcome, type IssuedJob, type ResultMessage, type RunMessage } from '../../worker/protocol.ts'
import type { BatchSystem } from '../batchSystem.ts'
import { cancelAndWait, clearEarlierLeader, runTag } from './cancel.ts'
import { runSlurm } from './commands.ts'
import { RESULT_SUFFIX, appendNote, claimFile, outFile, outPattern, resultFile, slurmDirs, tail, ticketFile, ticketName, type SlurmDirs } from './files.ts'
import { isLive, isStuck, readQueue, type QueueEntry } from './queue.ts'
import type { Submission } from './submission.ts'
import { Submitter } from './submitter.ts'
import { blame, verdict } from './verdict.ts'

// The Slurm batch system. Each attempt gets a ticket in the store; sbatch
// runs a worker (nodeMain.ts) that claims tickets and writes results back;
// one squeue per poll interval tells which Slurm jobs ended, and a job that
// ended without writing a result is judged from its Slurm state.

export interface SlurmOptions {
  runId: string
  storeRoot: string
  logger: Logger
  /** The largest node's resources (from sinfo). */
  limits: Resources
  siteArgs: readonly string[]
  /** --slurm-tmp-always: every job's disk is asked with --tmp, not only the disk jobs ask for. */
  tmpAlways: boolean
  /** Seconds of declared time packed into one Slurm job (0: no packing). */
  jobTime: number
  pollMs: number
  /** How long a job that ended may take to show its results (network filesystems cache directories). */
  resultGraceMs: number
}

interface Member {
  readonly job: IssuedJob
  readonly ticket: string
  slurm: SlurmJob | undefined
}

interface SlurmJob {
  readonly id: string
  readonly members: readonly Member[]
  readonly limitSeconds: number
  readonly memoryBytes: number
  readonly submittedAt: number
  endedAt: number | null
  /** Since when it has waited for a reason that may not pass by itself. */
  stuckSince: number | null
  /** jobtree cancelled it to stop one member: the others are not to blame. */
  cancelledByUs: boolean
}

const MAX_LOG_BYTES = 2 ** 20
const WARN_EVERY_MS = 60_000
// A node that is briefly unavailable (a restarting slurmd) is no cause for alarm.
const STUCK_WARNING_MS = 60_000
// States in which a lone job's worker is not expected to have left a result.
const NO_RESULT_EXPECTED = new Set(['TIMEOUT', 'CANCELLED', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'PREEMPTED', 'DEADLINE'])

export class SlurmBatchSystem implements BatchSystem {
  readonly name = 'slurm'
  /** A node runs only what it was given (short jobs are packed instead). */
  readonly chains = false
  readonly limits: Resources
  private readonly subject = new Subject<AttemptOutcome>()
  readonly outcomes: Observable<AttemptOutcome> = this.subject.asObservable()
  private readonly tag: string
  private readonly dirs: SlurmDirs
  private readonly logger: Logger
  /** Attempts issued and not yet reported, by ticket. */
  private readonly members = new Map<string, Member>()
  private readonly ticketOfJob = new Map<number, string>()
  private readonly slurmJobs = new Map<string, SlurmJob>()
  private readonly submitter: Submitter<Member>
  private readonly timer: NodeJS.Timeout
  private readonly warnedAt = new Map<string, number>()
  private polling = false
  private closed = false
  /** The run's tag was told to the user. */
  private named = false

  constructor(private readonly opts: SlurmOptions) {
    this.limits = opts.limits
    this.tag = runTag(opts.runId)
    this.dirs = slurmDirs(opts.storeRoot)
    this.logger = opts.logger
    this.submitter = new Submitter<Member>(
      {
        tag: this.tag,
        output: outPattern(this.dirs),
        storeRoot: opts.storeRoot,
        siteArgs: opts.siteArgs,
        tmpAlways: opts.tmpAlways,
        jobTime: opts.jobTime,
        largest: opts.limits,
      },
      {
        isOpen: (m) => this.isOpen(m),
        submitted: (members, id, plan, at) => this.submitted(members, id, plan, at),
        refused: (m, message) => this.fail(m, { kind: 'unschedulable', message }),
        warn: (key, message) => this.warn(key, message),
      },
    )
    this.timer = setInterval(() => void this.poll(), opts.pollMs).unref()
  }

  /** Before this leader issues anything: nothing an earlier leader left can run or report. */
  async reconcile(): Promise<void> {
    await clearEarlierLeader(this.dirs, this.tag, this.logger)
  }

  issue(job: IssuedJob): void {
    if (this.closed) return
    const member: Member = { job, ticket: ticketName(job.jobId, job.attempt), slurm: undefined }
    this.members.set(member.ticket, member)
    this.ticketOfJob.set(job.jobId, member.ticket)
    const run: RunMessage = { type: 'run', job, maxLogBytes: MAX_LOG_BYTES }
    try {
      writeFileSync(ticketFile(this.dirs, member.ticket), encodeValue(run))
    } catch (err) {
      // Never from inside issue(): the leader may not expect an outcome before issue returns.
      setImmediate(() => this.fail(member, exceptionReason(err)))
      return
    }
    this.submitter.add(member)
  }

  held(): HeldAttempt[] {
    // A claim is stamped by the file system's clock, perhaps on another
    // machine: only a wall time compares with it (a claim stamped ahead of
    // this clock has only just started).
    const now = Date.now()
    // An attempt whose result waits to be read (the leader was frozen, or the
    // next poll is not due) has ended: it is not running over any limit.
    const ended = new Set(readdirSync(this.dirs.results))
    return [...this.members.values()].map((m) => {
      const started = ended.has(`${m.ticket}${RESULT_SUFFIX}`) ? null : this.startedAt(m)
      return { jobId: m.job.jobId, attempt: m.job.attempt, ranMs: started === null ? null : Math.max(0, Math.floor(now - started)) }
    })
  }

  kill(jobId: number): void {
    const ticket = this.ticketOfJob.get(jobId)
    const member = ticket === undefined ? undefined : this.members.get(ticket)
    if (member === undefined) return
    const running = existsSync(claimFile(this.dirs, member.ticket))
    this.forget(member)
    const slurm = member.slurm
    if (slurm === undefined) return
    // Unclaimed in a pack that goes on, it is only withdrawn: the worker skips it.
    if (!running && this.openMembers(slurm).length > 0) return
    slurm.cancelledByUs = true
    runSlurm('scancel', [slurm.id]).catch((err: unknown) => this.warn('scancel', `cannot cancel Slurm job ${slurm.id}: ${oneLine(err)}`))
  }

  async shutdown(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    await this.submitter.close()
    const open = [...this.slurmJobs.values()].filter((job) => this.openMembers(job).length > 0).map((job) => job.id)
    for (const member of [...this.members.values()]) this.forget(member)
    try {
      await cancelAndWait(this.tag, open, this.logger)
    } catch (err) {
      this.logger.warn(`could not cancel the run's Slurm jobs (${open.join(' ')}): ${oneLine(err)}; cancel them with scancel --name=${this.tag}`)
    }
    this.subject.complete()
  }

  private submitted(members: Member[], id: string, plan: Submission, submittedAt: number): void {
    const { limitSeconds, memoryBytes } = plan
    if (!this.named) {
      this.named = true
      this.logger.info(`Slurm: the jobs of this run are named ${this.tag} (squeue --name=${this.tag})`)
    }
    const job: SlurmJob = { id, members, limitSeconds, memoryBytes, submittedAt, endedAt: null, stuckSince: null, cancelledByUs: false }
    this.slurmJobs.set(id, job)
    for (const m of members) m.slurm = job
    const what = members.map((m) => `job ${m.job.jobId} attempt ${m.job.attempt}`).join(', ')
    this.logger.debug(`Slurm job ${id}: ${members.length > 1 ? `${members.length} jobs packed: ` : ''}${what}`)
  }

  /** One squeue for all of the run's jobs, the results directory, then the jobs that ended. */
  private async poll(): Promise<void> {
    if (this.polling || this.closed) return
    this.polling = true
    try {
      this.submitter.retry()
      if (this.slurmJobs.size === 0) return
      const asked = Date.now()
      let queue: Map<string, QueueEntry>
      try {
        queue = await readQueue(this.tag, true)
      } catch (err) {
        this.warn('squeue', `cannot read the run's Slurm jobs (${oneLine(err)}); trying again every ${this.opts.pollMs / 1000} s`)
        return
      }
      // After squeue: a job it saw end had written its results before, so they are seen now.
      await this.ingestResults()
      const now = Date.now()
      for (const job of [...this.slurmJobs.values()]) {
        const entry = queue.get(job.id)
        // Submitted while squeue ran: not in its answer yet.
        if (entry === undefined && job.submittedAt >= asked) continue
        if (entry !== undefined && isLive(entry.state)) {
          job.stuckSince = entry.state === 'PENDING' && isStuck(entry.reason) ? (job.stuckSince ?? now) : null
          if (job.stuckSince !== null && now - job.stuckSince > STUCK_WARNING_MS) {
            this.warn(
              `stuck ${entry.reason}`,
              `Slurm job ${job.id} has waited over a minute because of ${entry.reason}, which may never pass by itself (squeue --name=${this.tag})`,
            )
          }
          continue
        }
        this.ended(job, entry, now)
      }
    } catch (err) {
      this.warn('poll', `cannot read the run's results in ${this.dirs.results}: ${oneLine(err)}`)
    } finally {
      this.polling = false
    }
  }

  private async ingestResults(): Promise<void> {
    for (const name of await readdir(this.dirs.results)) {
      if (!name.endsWith(RESULT_SUFFIX)) continue
      const member = this.members.get(name.slice(0, -RESULT_SUFFIX.length))
      const path = join(this.dirs.results, name)
      if (member === undefined) {
        // An attempt withdrawn or already reported.
        await rm(path, { force: true })
        continue
      }
      let message: ResultMessage
      try {
        message = decodeValue(await readFile(path)) as ResultMessage
      } catch (err) {
        this.fail(member, { kind: 'lost', message: `its result file ${path} is unreadable: ${oneLine(err)}` })
        continue
      }
      if (!this.isOpen(member)) continue
      this.forget(member)
      this.subject.next(resultOutcome(message))
    }
  }

  /** A Slurm job ended (or Slurm forgot it) with attempts unreported: see `blame`. */
  private ended(job: SlurmJob, entry: QueueEntry | undefined, now: number): void {
    const open = this.openMembers(job)
    if (open.length === 0) {
      this.slurmJobs.delete(job.id)
      rmSync(outFile(this.dirs, job.id), { force: true })
      return
    }
    job.endedAt ??= now
    const lone = job.members.length === 1 && entry !== undefined && NO_RESULT_EXPECTED.has(entry.state)
    if (!lone && now - job.endedAt < this.opts.resultGraceMs) return
    this.slurmJobs.delete(job.id)
    const output = tail(outFile(this.dirs, job.id))
    rmSync(outFile(this.dirs, job.id), { force: true })
    const { failed, again } = blame(open, (m) => existsSync(claimFile(this.dirs, m.ticket)), job.cancelledByUs)
    for (const m of failed) {
      const reason = verdict({
        slurmId: job.id,
        entry,
        limitSeconds: job.limitSeconds,
        askedBytes: m.job.spec.resources.memory,
        slurmMemoryBytes: job.memoryBytes,
        output,
        members: job.members.length,
      })
      appendNote(
        m.job.logFile,
        `=== Slurm job ${job.id} ended ${entry?.state ?? '(forgotten by Slurm)'} without this job's result; its last output:\n${output}\n`,
      )
      this.fail(m, reason)
    }
    for (const m of again) this.resubmit(m)
  }

  private resubmit(member: Member): void {
    member.slurm = undefined
    const claimed = claimFile(this.dirs, member.ticket)
    if (existsSync(claimed)) renameSync(claimed, ticketFile(this.dirs, member.ticket))
    this.submitter.add(member)
  }

  /** When its worker claimed it, which in a pack may be long after the Slurm job started. */
  private startedAt(member: Member): number | null {
    if (member.slurm === undefined) return null
    try {
      return statSync(claimFile(this.dirs, member.ticket)).ctimeMs
    } catch {
      return null
    }
  }

  private openMembers(job: SlurmJob): Member[] {
    return job.members.filter((m) => this.isOpen(m) && m.slurm === job)
  }

  private isOpen(member: Member): boolean {
    return this.members.get(member.ticket) === member
  }

  private fail(member: Member, reason: FailureReason): void {
    if (!this.isOpen(member)) return
    this.forget(member)
    const { jobId, attempt } = member.job
    this.subject.next({ type: 'AttemptFailed', now: Date.now(), jobId, attempt, reason, messages: [] })
  }

  /** No outcome will be reported for it: its files go, and a worker that still runs it writes nothing. */
  private forget(member: Member): void {
    this.members.delete(member.ticket)
    if (this.ticketOfJob.get(member.job.jobId) === member.ticket) this.ticketOfJob.delete(member.job.jobId)
    for (const file of [ticketFile, claimFile, resultFile]) rmSync(file(this.dirs, member.ticket), { force: true })
  }

  /** Warns at most once a minute about the same trouble. */
  private warn(key: string, message: string): void {
    const last = this.warnedAt.get(key) ?? 0
    if (Date.now() - last < WARN_EVERY_MS) return
    this.warnedAt.set(key, Date.now())
    this.logger.warn(message)
  }
}
