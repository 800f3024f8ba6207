import type { AttemptTiming, JobTimeline, Timeline } from './timeline.ts'
import { startOf } from './timeline.ts'

// The critical path: the chain of attempts that set the run's length. It
// starts from the attempt that ended last and walks back through what made
// each one ready: the job whose success queued it (its parent, the last job
// of a subtree its follow-on waited for, a job whose value it needed), or its
// own earlier attempt when a failure put it back in the queue.

export interface PathStep {
  jobId: number
  name: string
  attempt: number
  outcome: AttemptTiming['outcome']
  readyAt: number
  /** Start of the run (undefined when not measured). */
  startAt: number | undefined
  endAt: number
  waitMs: number
  runMs: number
}

export interface CriticalPath {
  /** From the first step's ready time to the last step's end. */
  totalMs: number
  waitMs: number
  runMs: number
  steps: PathStep[]
}

export function criticalPath(timeline: Timeline): CriticalPath {
  let job: JobTimeline | undefined
  let index = -1
  let attempts = 0
  for (const [, j] of timeline.jobs.entries()) {
    attempts += j.attempts.length
    j.attempts.forEach((a, i) => {
      if (a.endAt < 0) return
      const best = job?.attempts[index]
      if (best === undefined || a.endAt > best.endAt) {
        job = j
        index = i
      }
    })
  }
  const steps: PathStep[] = []
  // Each step goes to an attempt that ended earlier, so the walk ends; the bound is a guard against a log that says otherwise.
  while (job !== undefined && index >= 0 && steps.length <= attempts) {
    const a = job.attempts[index]
    steps.push(step(job, a))
    if (a.readiedBy === -1) break
    if (a.readiedBy === job.id) {
      index -= 1
      continue
    }
    job = timeline.jobs.get(a.readiedBy)
    index = job === undefined ? -1 : causeAttempt(job, a.readyAt)
  }
  steps.reverse()
  const first = steps[0]
  const last = steps[steps.length - 1]
  return {
    totalMs: first === undefined ? 0 : last.endAt - first.readyAt,
    waitMs: steps.reduce((sum, s) => sum + s.waitMs, 0),
    runMs: steps.reduce((sum, s) => sum + s.runMs, 0),
    steps,
  }
}

/** The attempt of `job` that ended last by `time`. */
function causeAttempt(job: JobTimeline, time: number): number {
  for (let i = job.attempts.length - 1; i >= 0; i--) {
    const end = job.attempts[i].endAt
    if (end >= 0 && end <= time) return i
  }
  return job.attempts.length - 1
}

function step(job: JobTimeline, a: AttemptTiming): PathStep {
  const startAt = startOf(a)
  const readyAt = a.readyAt >= 0 ? a.readyAt : a.issuedAt
  return {
    jobId: job.id,
    name: job.name,
    attempt: a.attempt,
    outcome: a.outcome,
    readyAt,
    startAt,
    endAt: a.endAt,
    waitMs: startAt === undefined ? 0 : Math.max(0, startAt - readyAt),
    runMs: a.stats?.wallMs ?? Math.max(0, a.endAt - a.issuedAt),
  }
}
