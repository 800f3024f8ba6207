// A good log, spoilt on purpose once for each log-order invariant, so that a
// suite's self-test can show each of those checkers failing on the log its
// run left (a checker that cannot fail proves nothing). A case the log lacks
// the events for (no resumption, no job that failed completely) is left out,
// and the self-test's count of proven checkers says so.
import type { JobEvent, JobFinished, JobIssued } from '../../../src/events/catalogue.ts'
import { createdJobs } from '../../../src/events/jobsOf.ts'
import type { Checker } from './problems.ts'
import {
  attemptsIncrease,
  abandonedInResumption,
  createdOnce,
  epochsIncrease,
  failedCompletelyAfterAFailure,
  finishesOnce,
  issuedAfterCreated,
  noAttemptLeftOut,
  notIssuedAfterFinish,
  oneAttemptOutAtATime,
  outcomesNameTheAttemptOut,
  revivedInResumption,
  revivedOnlyWhenFailedCompletely,
  timesNeverGoBack,
} from './logOrder.ts'

export interface SpoiltLog {
  how: string
  by: Checker[]
  events: JobEvent[]
}

/** `events` with `inserted` put in at `i` and the `dropped` events there taken out. */
function splice(events: readonly JobEvent[], i: number, dropped: number, ...inserted: JobEvent[]): JobEvent[] {
  const out = events.slice()
  out.splice(i, dropped, ...inserted)
  return out
}

export function spoiltLogs(events: readonly JobEvent[]): SpoiltLog[] {
  const cases: SpoiltLog[] = []
  const add = (how: string, by: Checker[], spoilt: () => JobEvent[]) => cases.push({ how, by, events: spoilt() })
  const index = (test: (e: JobEvent) => boolean) => events.findIndex(test)
  const finishedAt = index((e) => e.type === 'JobFinished')
  const finish = events[finishedAt] as JobFinished | undefined
  const issuedAt = index((e) => e.type === 'JobIssued')
  const issue = events[issuedAt] as JobIssued | undefined
  const resumedAt = index((e) => e.type === 'WorkflowResumed')
  const completelyAt = index((e) => e.type === 'JobFailedCompletely')

  if (finish !== undefined) {
    add('an event recorded before the one before it', [timesNeverGoBack], () => splice(events, finishedAt, 1, { ...finish, at: events[finishedAt - 1].at - 1 }))
    add('an outcome names an attempt that is not out', [outcomesNameTheAttemptOut], () =>
      splice(events, finishedAt, 1, { ...finish, attempt: finish.attempt + 1 }),
    )
    add('a job finishing twice', [finishesOnce], () => [...events, finish])
    const itsIssue = events.find((e): e is JobIssued => e.type === 'JobIssued' && e.jobId === finish.jobId) as JobIssued
    add('a job issued again after it finished', [notIssuedAfterFinish], () =>
      splice(events, finishedAt + 1, 0, { ...itsIssue, attempt: finish.attempt + 1, at: finish.at }),
    )
  }
  if (issue !== undefined) {
    add('an attempt issued twice', [attemptsIncrease, oneAttemptOutAtATime], () => splice(events, issuedAt, 0, issue))
    add('an attempt abandoned outside a resumption', [abandonedInResumption], () =>
      splice(events, issuedAt + 1, 0, { type: 'JobAbandoned', v: 1, at: issue.at, jobId: issue.jobId, attempt: issue.attempt, reason: 'spoilt' }),
    )
  }
  let lastOutcome = events.length - 1
  while (lastOutcome >= 0 && !['JobFinished', 'JobFailed', 'JobAbandoned'].includes(events[lastOutcome].type)) lastOutcome -= 1
  if (lastOutcome >= 0) add('the last outcome in the log dropped', [noAttemptLeftOut], () => splice(events, lastOutcome, 1))

  // A job issued before it is created: its creation moved to just after the issue.
  const lateIssue = index((e) => e.type === 'JobIssued' && e.jobId > 0)
  const late = events[lateIssue] as JobIssued | undefined
  const creation = late === undefined ? -1 : index((e) => [...createdJobs(e)].some((c) => c.jobId === late.jobId))
  if (creation >= 0 && creation < lateIssue) {
    add('a job issued before it is created', [issuedAfterCreated], () => [
      ...events.slice(0, creation),
      ...events.slice(creation + 1, lateIssue + 1),
      events[creation],
      ...events.slice(lateIssue + 1),
    ])
    add('a job created twice', [createdOnce], () => splice(events, creation, 0, events[creation]))
  }

  if (resumedAt >= 0) {
    const resumed = events[resumedAt] as JobEvent & { type: 'WorkflowResumed' }
    add('a resumption skips an epoch', [epochsIncrease], () => splice(events, resumedAt, 1, { ...resumed, epoch: resumed.epoch + 1 }))
    // A job that finished and never failed completely.
    const failedCompletely = new Set(events.flatMap((e) => (e.type === 'JobFailedCompletely' ? [e.jobId] : [])))
    const healthy = events.find((e): e is JobFinished => e.type === 'JobFinished' && !failedCompletely.has(e.jobId))
    if (healthy !== undefined) {
      add('a job revived that had not failed completely', [revivedOnlyWhenFailedCompletely], () =>
        splice(events, resumedAt + 1, 0, { type: 'JobRevived', v: 1, at: resumed.at, jobId: healthy.jobId }),
      )
    }
  }
  if (completelyAt >= 0) {
    const completely = events[completelyAt] as JobEvent & { type: 'JobFailedCompletely' }
    add('a job revived outside a resumption', [revivedInResumption], () =>
      splice(events, completelyAt + 1, 0, { type: 'JobRevived', v: 1, at: completely.at, jobId: completely.jobId }),
    )
    add('a job failing completely twice in a row', [failedCompletelyAfterAFailure], () => splice(events, completelyAt, 0, completely))
  }
  return cases
}
