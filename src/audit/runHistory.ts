import type { Recorded } from '../events/catalogue.ts'
import { createdJobs } from '../events/jobsOf.ts'
import type { LoggedJob, RunHistory } from '../decider/inputs.ts'
import type { EventSource } from './eventSource.ts'
import { foldEvents } from './fold.ts'

// Every job of a run as the log holds it, for a rewind to decide on: the job
// tree forgets what has completed, a rewind must know all of it (who made
// whom, who returned what, who asks for whose value). Superseded history is
// left out: a job a rewind sent back has no successful attempt until it
// succeeds again, and the jobs a rewind discarded are gone.

type Jobs = Map<number, LoggedJob>

/** The run's history from the log, up to and including event `to`. */
export async function readRunHistory(source: EventSource, to = Infinity): Promise<RunHistory> {
  return foldEvents<Jobs>(source, new Map(), evolveRunHistory, { to })
}

/** Adds one event to the history (in place: it is a read model of one command). */
export function evolveRunHistory(jobs: Jobs, { seq, event: e }: Recorded): Jobs {
  const touch = (id: number, changes: Partial<LoggedJob> = {}) => {
    const j = jobs.get(id)
    if (j !== undefined) jobs.set(id, { ...j, ...changes, lastSeq: seq })
  }
  switch (e.type) {
    case 'JobCreated':
    case 'JobsCreated':
      for (const c of createdJobs(e)) jobs.set(c.jobId, { ...c, attempts: 0, finished: null, createdSeq: seq, lastSeq: seq })
      break
    case 'JobIssued':
      touch(e.jobId, { attempts: e.attempt })
      break
    case 'JobFinished':
      touch(e.jobId, { finished: { attempt: e.attempt, value: e.value, successors: e.successors } })
      break
    case 'JobFailed':
    case 'JobRetried':
    case 'JobAbandoned':
    case 'JobRevived':
    case 'JobFailedCompletely':
    case 'JobBackoffElapsed':
      touch(e.jobId)
      break
    case 'JobsRewound':
      for (const r of e.reset) touch(r.jobId, { finished: null })
      for (const [first, count] of e.discarded) for (let id = first; id < first + count; id++) jobs.delete(id)
      break
    default:
      break
  }
  return jobs
}
