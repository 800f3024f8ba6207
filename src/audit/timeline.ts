import type { AttemptStats, FailureReason, JobEvent, Relation } from '../events/catalogue.ts'
import { createdJobs, createsJobs } from '../events/jobsOf.ts'
import { jobName } from './describe.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import { PVec } from '../decider/pvec.ts'

// When each job was created, queued, issued and ended, attempt by attempt,
// for every job the log has created (the job tree forgets jobs whose subtree
// is complete; this read model keeps them). It folds alongside the job tree:
// a job is queued when it joins the tree's ready queue, and the event that
// queued it names the job that made it ready, which gives the critical path.

export type AttemptOutcome = 'out' | 'succeeded' | 'failed' | 'abandoned'

export interface AttemptTiming {
  readonly attempt: number
  /** When the job joined the ready queue for this attempt (ms since the epoch). */
  readonly readyAt: number
  /** The job whose event queued it: its parent, a job it waited for, or itself after a failed attempt; -1 for the root. */
  readonly readiedBy: number
  readonly issuedAt: number
  /** When its outcome was recorded, or -1 while it is out. */
  readonly endAt: number
  readonly outcome: AttemptOutcome
  readonly stats: AttemptStats | null
  readonly reason: FailureReason | null
}

export interface JobTimeline {
  readonly id: number
  readonly parent: number
  readonly relation: Relation
  readonly name: string
  readonly createdAt: number
  /** The latest time it joined the ready queue (-1: never), and the job that put it there. */
  readonly readyAt: number
  readonly readiedBy: number
  readonly attempts: readonly AttemptTiming[]
  /** Failed attempts, counting those failed before they were issued (deadlocks). */
  readonly failures: number
  /** It failed completely (and was not revived since). */
  readonly failedCompletely: boolean
  /** A rewind discarded it: the attempt that made it was superseded (its history stays, as it was). */
  readonly discarded: boolean
}

export interface Timeline {
  readonly jobs: PVec<JobTimeline>
  /** Time of the first and the newest event folded in (0 before any). */
  readonly firstAt: number
  readonly lastAt: number
  /** Leaders that worked on the run (WorkflowStarted and each WorkflowResumed). */
  readonly leaders: number
  readonly retries: number
  readonly revivals: number
}

export const emptyTimeline: Timeline = { jobs: PVec.empty(), firstAt: 0, lastAt: 0, leaders: 0, retries: 0, revivals: 0 }

/** Folds `event`, which took the job tree from `before` to `after`. */
export function evolveTimeline(t: Timeline, event: JobEvent, before: JobTreeState, after: JobTreeState): Timeline {
  // Leaders record times that never go back; a log from a release that
  // recorded the wall clock as it read it may, after a step of that clock:
  // an event is taken to be no earlier than the one before, so that no
  // duration comes out negative.
  const at = Math.max(event.at, t.lastAt)
  let jobs = t.jobs
  let { leaders, retries, revivals } = t
  switch (event.type) {
    case 'WorkflowStarted':
    case 'WorkflowResumed':
      leaders += 1
      break
    case 'JobCreated':
    case 'JobsCreated':
      for (const c of createdJobs(event)) {
        jobs = jobs.set(c.jobId, {
          id: c.jobId,
          parent: c.parent,
          relation: c.relation,
          name: jobName(c.spec),
          createdAt: at,
          readyAt: -1,
          readiedBy: -1,
          attempts: [],
          failures: 0,
          failedCompletely: false,
          discarded: false,
        })
      }
      break
    case 'JobIssued':
      jobs = update(jobs, event.jobId, (job) => ({
        ...job,
        attempts: [
          ...job.attempts,
          { attempt: event.attempt, readyAt: job.readyAt, readiedBy: job.readiedBy, issuedAt: at, endAt: -1, outcome: 'out', stats: null, reason: null },
        ],
      }))
      break
    case 'JobFinished':
      jobs = endAttempt(jobs, event.jobId, event.attempt, { endAt: at, outcome: 'succeeded', stats: event.stats })
      break
    case 'JobFailed':
      jobs = endAttempt(jobs, event.jobId, event.attempt, { endAt: at, outcome: 'failed', stats: event.stats ?? null, reason: event.reason })
      jobs = update(jobs, event.jobId, (job) => ({ ...job, failures: job.failures + 1 }))
      break
    case 'JobAbandoned':
      jobs = endAttempt(jobs, event.jobId, event.attempt, { endAt: at, outcome: 'abandoned' })
      break
    case 'JobRetried':
      retries += 1
      break
    case 'JobFailedCompletely':
      jobs = update(jobs, event.jobId, (job) => ({ ...job, failedCompletely: true }))
      break
    case 'JobRevived':
      revivals += 1
      jobs = update(jobs, event.jobId, (job) => ({ ...job, failedCompletely: false }))
      break
    case 'JobsRewound':
      for (const r of event.reset) jobs = update(jobs, r.jobId, (job) => ({ ...job, failedCompletely: false, failures: 0 }))
      for (const [first, count] of event.discarded)
        for (let id = first; id < first + count; id++) jobs = update(jobs, id, (job) => ({ ...job, discarded: true }))
      break
    default:
      break
  }
  jobs = queued(jobs, event, at, before, after)
  return { jobs, firstAt: t.firstAt === 0 ? at : t.firstAt, lastAt: at, leaders, retries, revivals }
}

/**
 * The jobs this event added to the ready queue: the queue only grows at its
 * tail, so they are those after the old tail (or the whole queue, if it was empty).
 */
function queued(jobs: PVec<JobTimeline>, event: JobEvent, at: number, before: JobTreeState, after: JobTreeState): PVec<JobTimeline> {
  let id = after.readyHead
  if (before.readyTail !== -1) {
    const oldTail = after.jobs.get(before.readyTail)
    id = oldTail?.phase === 'ready' ? oldTail.next : -1
  }
  if (id === -1) return jobs
  const by = createsJobs(event) ? event.parent : 'jobId' in event ? event.jobId : -1
  while (id !== -1) {
    jobs = update(jobs, id, (job) => ({ ...job, readyAt: at, readiedBy: by }))
    id = after.jobs.get(id)?.next ?? -1
  }
  return jobs
}

function endAttempt(jobs: PVec<JobTimeline>, jobId: number, attempt: number, end: Partial<AttemptTiming>): PVec<JobTimeline> {
  const job = jobs.get(jobId)
  const last = job?.attempts.at(-1)
  if (job === undefined || last === undefined || last.attempt !== attempt || last.outcome !== 'out') return jobs
  return jobs.set(jobId, { ...job, attempts: [...job.attempts.slice(0, -1), { ...last, ...end }] })
}

function update(jobs: PVec<JobTimeline>, id: number, fn: (job: JobTimeline) => JobTimeline): PVec<JobTimeline> {
  const job = jobs.get(id)
  return job === undefined ? jobs : jobs.set(id, fn(job))
}

/** When an attempt started running: its end less its measured wall time, never before it was issued. */
export function startOf(a: AttemptTiming): number | undefined {
  if (a.endAt < 0 || a.stats === null) return undefined
  return Math.max(a.issuedAt, a.endAt - a.stats.wallMs)
}
