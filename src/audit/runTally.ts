import type { JobEvent } from '../events/catalogue.ts'
import { createdJobs } from '../events/jobsOf.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import { jobName, targetGroup } from './describe.ts'

// What one leader's events counted as they went by: jobs by target (the
// live progress block's lines), failed and retried attempts, CPU time (the
// summary at the end). It keeps a small number a job (the index of its
// target), not the job, so a run of a million jobs costs a few MB.

export interface TargetCounts {
  readonly name: string
  readonly created: number
  readonly done: number
  /** Attempts that failed, and jobs that failed completely. */
  readonly failedAttempts: number
  readonly failed: number
}

interface Row {
  name: string
  created: number
  done: number
  failedAttempts: number
  failed: number
}

export class RunTally {
  /** Attempts that failed and jobs put back for another attempt, under this leader. */
  failedAttempts = 0
  retried = 0
  /** CPU time of the attempts that ended under this leader (those measured). */
  cpuMs = 0
  private readonly rows: Row[] = []
  private readonly byName = new Map<string, number>()
  /** The row of each job, by job id (-1 or a hole: a job this tally never saw created). */
  private readonly rowOf: number[] = []

  /**
   * A restarted leader's tally starts from the jobs its replayed tree still
   * holds; those whose whole subtree was done before are not in it, so `done`
   * counts what succeeded since.
   */
  static from(state: JobTreeState): RunTally {
    const tally = new RunTally()
    for (const [id, job] of state.jobs.entries()) {
      const row = tally.rowFor(jobName(job.spec))
      tally.rowOf[id] = row
      tally.rows[row].created += 1
      if (job.phase === 'failed') tally.rows[row].failed += 1
    }
    return tally
  }

  add(events: readonly JobEvent[]): void {
    for (const e of events) {
      switch (e.type) {
        case 'JobCreated':
        case 'JobsCreated':
          for (const c of createdJobs(e)) {
            const row = this.rowFor(jobName(c.spec))
            this.rowOf[c.jobId] = row
            this.rows[row].created += 1
          }
          break
        case 'JobFinished':
          this.bump(e.jobId, 'done', 1)
          this.cpuMs += e.stats.cpuMs
          break
        case 'JobFailed':
          this.bump(e.jobId, 'failedAttempts', 1)
          this.failedAttempts += 1
          this.cpuMs += e.stats?.cpuMs ?? 0
          break
        case 'JobRetried':
          this.retried += 1
          break
        case 'JobFailedCompletely':
          this.bump(e.jobId, 'failed', 1)
          break
        case 'JobRevived':
          this.bump(e.jobId, 'failed', -1)
          break
        default:
          break
      }
    }
  }

  /** The target a job belongs to, if this tally saw it. */
  targetOf(jobId: number): string | undefined {
    const row = this.rowOf[jobId]
    return row === undefined ? undefined : this.rows[row]?.name
  }

  /** One entry a target, in the order they first appeared. */
  counts(): readonly TargetCounts[] {
    return this.rows.map((r) => ({ ...r }))
  }

  private rowFor(name: string): number {
    const group = targetGroup(name)
    let row = this.byName.get(group)
    if (row === undefined) {
      row = this.rows.length
      this.rows.push({ name: group, created: 0, done: 0, failedAttempts: 0, failed: 0 })
      this.byName.set(group, row)
    }
    return row
  }

  private bump(jobId: number, field: 'done' | 'failedAttempts' | 'failed', by: number): void {
    const row = this.rows[this.rowOf[jobId] ?? -1]
    if (row !== undefined) row[field] = Math.max(0, row[field] + by)
  }
}
