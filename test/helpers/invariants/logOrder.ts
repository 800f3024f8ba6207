// The invariants of a log's order, whatever the workflow: they hold of any
// run, crashed and resumed or not, so each is checked on the log alone. One
// function a rule, so that a spoilt log shows which rule caught it. Each
// problem names the event's seq (from 1) and the job and attempt.
import type { JobEvent } from '../../../src/events/catalogue.ts'
import { createdJobs } from '../../../src/events/jobsOf.ts'
import { walkAttemptsOut } from './logFacts.ts'

const at = (seq: number, text: string) => `event ${seq}: ${text}`

/** No event is recorded at a time before the one before it (the clock may step back; the log's times may not). */
export function timesNeverGoBack(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  for (let i = 1; i < events.length; i++) {
    const e = events[i]
    if (e.at < events[i - 1].at) problems.push(at(i + 1, `${e.type} is recorded at ${e.at}, before the event before it (${events[i - 1].at})`))
  }
  return problems
}

/** The log starts with epoch 1, each resumption takes the next epoch, and a job is issued under the epoch of its leader. */
export function epochsIncrease(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  let epoch = 0
  events.forEach((e, i) => {
    const seq = i + 1
    if (e.type === 'WorkflowStarted') {
      if (seq !== 1 || e.epoch !== 1) problems.push(at(seq, `WorkflowStarted with epoch ${e.epoch}, not the first event with epoch 1`))
      epoch = e.epoch
    } else if (e.type === 'WorkflowResumed') {
      if (e.epoch !== epoch + 1) problems.push(at(seq, `WorkflowResumed to epoch ${e.epoch} after epoch ${epoch}`))
      epoch = e.epoch
    } else if (e.type === 'JobIssued' && e.epoch !== epoch) {
      problems.push(at(seq, `job ${e.jobId} issued under epoch ${e.epoch} while the epoch is ${epoch}`))
    }
  })
  return problems
}

/** No job id is created twice. */
export function createdOnce(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  const created = new Set<number>()
  events.forEach((e, i) => {
    for (const c of createdJobs(e)) {
      if (created.has(c.jobId)) problems.push(at(i + 1, `job ${c.jobId} created twice`))
      created.add(c.jobId)
    }
  })
  return problems
}

/** Every JobIssued follows its job's creation. */
export function issuedAfterCreated(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  const created = new Set<number>()
  events.forEach((e, i) => {
    for (const c of createdJobs(e)) created.add(c.jobId)
    if (e.type === 'JobIssued' && !created.has(e.jobId)) problems.push(at(i + 1, `job ${e.jobId} issued before it was created`))
  })
  return problems
}

/** A job's attempts are issued in increasing order: no attempt is issued twice. */
export function attemptsIncrease(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  const issued = new Map<number, number[]>()
  events.forEach((e, i) => {
    if (e.type !== 'JobIssued') return
    const before = issued.get(e.jobId) ?? []
    if (before.some((a) => a >= e.attempt)) problems.push(at(i + 1, `job ${e.jobId} attempt ${e.attempt} issued after attempts ${before.join(', ')}`))
    issued.set(e.jobId, [...before, e.attempt])
  })
  return problems
}

/** A job is not issued while an attempt of it is out. */
export function oneAttemptOutAtATime(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  walkAttemptsOut(events, (e, seq, out) => {
    if (e.type === 'JobIssued' && out !== undefined) problems.push(at(seq, `job ${e.jobId} attempt ${e.attempt} issued while attempt ${out} is out`))
  })
  return problems
}

/** Every outcome (finished, failed, abandoned) names the attempt out. */
export function outcomesNameTheAttemptOut(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  walkAttemptsOut(events, (e, seq, out) => {
    if ((e.type === 'JobFinished' || e.type === 'JobFailed' || e.type === 'JobAbandoned') && out !== e.attempt) {
      const kind = e.type === 'JobFinished' ? 'finished' : e.type === 'JobFailed' ? 'failed' : 'abandoned'
      problems.push(at(seq, `${kind} names attempt ${e.attempt} of job ${e.jobId}, which is not the attempt out (${out ?? 'none'})`))
    }
  })
  return problems
}

/** By the end of the log every attempt issued has its outcome. */
export function noAttemptLeftOut(events: readonly JobEvent[]): string[] {
  return [...walkAttemptsOut(events, () => {})].map(([jobId, attempt]) => `job ${jobId} attempt ${attempt} is still out at the end of the log`)
}

/** A job that finished is never issued again. */
export function notIssuedAfterFinish(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  const finished = new Set<number>()
  events.forEach((e, i) => {
    if (e.type === 'JobIssued' && finished.has(e.jobId)) problems.push(at(i + 1, `job ${e.jobId} issued again after it finished`))
    if (e.type === 'JobFinished') finished.add(e.jobId)
  })
  return problems
}

/** No job finishes twice. */
export function finishesOnce(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  const finished = new Set<number>()
  events.forEach((e, i) => {
    if (e.type !== 'JobFinished') return
    if (finished.has(e.jobId)) problems.push(at(i + 1, `job ${e.jobId} finished a second time (attempt ${e.attempt})`))
    finished.add(e.jobId)
  })
  return problems
}

/**
 * Whether each event stands in a resumption (or an interruption): right
 * after a WorkflowResumed or WorkflowInterrupted, among the JobAbandoned and
 * JobRevived events that follow it.
 */
function inResumption(events: readonly JobEvent[]): boolean[] {
  let inResume = false
  return events.map((e) => {
    const now = inResume
    if (e.type === 'WorkflowResumed' || e.type === 'WorkflowInterrupted') inResume = true
    else if (e.type !== 'JobAbandoned' && e.type !== 'JobRevived') inResume = false
    return now
  })
}

/** Only a leader resuming (or interrupted) abandons attempts: those of the leader before it, or its own. */
export function abandonedInResumption(events: readonly JobEvent[]): string[] {
  const within = inResumption(events)
  return events.flatMap((e, i) =>
    e.type === 'JobAbandoned' && !within[i] ? [at(i + 1, `job ${e.jobId} attempt ${e.attempt} abandoned outside a resumption or interruption`)] : [],
  )
}

/** Only a leader resuming revives jobs. */
export function revivedInResumption(events: readonly JobEvent[]): string[] {
  const within = inResumption(events)
  return events.flatMap((e, i) => (e.type === 'JobRevived' && !within[i] ? [at(i + 1, `job ${e.jobId} revived outside a resumption`)] : []))
}

/** A job fails completely only right after a failed attempt (its last budget event is a JobFailed). */
export function failedCompletelyAfterAFailure(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  const lastStep = new Map<number, string>()
  events.forEach((e, i) => {
    if (e.type === 'JobFailedCompletely' && lastStep.get(e.jobId) !== 'JobFailed')
      problems.push(at(i + 1, `job ${e.jobId} failed completely without a failed attempt just before`))
    if (e.type === 'JobFailed' || e.type === 'JobFailedCompletely' || e.type === 'JobRevived') lastStep.set(e.jobId, e.type)
  })
  return problems
}

/** Only a job that failed completely (and was not revived since) is revived. */
export function revivedOnlyWhenFailedCompletely(events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  const failedNow = new Set<number>()
  events.forEach((e, i) => {
    if (e.type === 'JobFailedCompletely') failedNow.add(e.jobId)
    if (e.type === 'JobRevived' && !failedNow.delete(e.jobId)) problems.push(at(i + 1, `job ${e.jobId} revived while it had not failed completely`))
  })
  return problems
}

/** All of the above, each run on the log alone. */
export const LOG_ORDER = [
  timesNeverGoBack,
  epochsIncrease,
  createdOnce,
  issuedAfterCreated,
  attemptsIncrease,
  oneAttemptOutAtATime,
  outcomesNameTheAttemptOut,
  noAttemptLeftOut,
  notIssuedAfterFinish,
  finishesOnce,
  abandonedInResumption,
  revivedInResumption,
  failedCompletelyAfterAFailure,
  revivedOnlyWhenFailedCompletely,
] as const
