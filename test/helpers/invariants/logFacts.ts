// What a run's log says, read once, for the checkers that hold it against a
// plan. It checks nothing: the log-order invariants (logOrder.ts) do, on the
// same walk of which attempt is out, so that an outcome the log-order checks
// reject is one these facts do not count either.
import type { FailureReason, JobEvent, JobFinished } from '../../../src/events/catalogue.ts'
import { createdJobs, type CreatedJob } from '../../../src/events/jobsOf.ts'

export type Outcome = { kind: 'finished'; event: JobFinished } | { kind: 'failed'; reason: FailureReason } | { kind: 'abandoned' }

export interface IssuedAttempt {
  attempt: number
  /** Undefined while it is out, or if its outcome named another attempt. */
  outcome: Outcome | undefined
}

export type BudgetStep = 'failed' | 'failedCompletely' | 'revived'

export interface LogFacts {
  /** The last creation of each id. */
  created: Map<number, CreatedJob>
  /** Every issued attempt, in log order, with its outcome. */
  attempts: Map<number, IssuedAttempt[]>
  finishes: Map<number, JobFinished[]>
  /** Per job: its JobFailed, JobFailedCompletely and JobRevived events in order. */
  budget: Map<number, BudgetStep[]>
  /** `jobId:attempt` of every JobAbandoned. */
  abandoned: Set<string>
  /** The epoch of the last leader that recorded its start or resumption. */
  epochs: number
}

/**
 * Walks the log keeping the attempt out of each job: a JobIssued puts one
 * out, an outcome that names it takes it back. `visit` sees each event (seq
 * from 1) with the attempt out for its job before it; the attempts still out
 * at the end are returned.
 */
export function walkAttemptsOut(events: readonly JobEvent[], visit: (e: JobEvent, seq: number, out: number | undefined) => void): Map<number, number> {
  const out = new Map<number, number>()
  events.forEach((e, i) => {
    const jobId = 'jobId' in e ? e.jobId : undefined
    visit(e, i + 1, jobId === undefined ? undefined : out.get(jobId))
    if (e.type === 'JobIssued') out.set(e.jobId, e.attempt)
    else if ((e.type === 'JobFinished' || e.type === 'JobFailed' || e.type === 'JobAbandoned') && out.get(e.jobId) === e.attempt) out.delete(e.jobId)
  })
  return out
}

export function readLog(events: readonly JobEvent[]): LogFacts {
  const f: LogFacts = { created: new Map(), attempts: new Map(), finishes: new Map(), budget: new Map(), abandoned: new Set(), epochs: 0 }
  const note = (jobId: number, step: BudgetStep) => f.budget.set(jobId, [...(f.budget.get(jobId) ?? []), step])
  const settle = (jobId: number, attempt: number, out: number | undefined, outcome: Outcome) => {
    const last = f.attempts.get(jobId)?.at(-1)
    if (out === attempt && last !== undefined) last.outcome = outcome
  }
  walkAttemptsOut(events, (e, _seq, out) => {
    switch (e.type) {
      case 'WorkflowStarted':
      case 'WorkflowResumed':
        f.epochs = e.epoch
        break
      case 'JobCreated':
      case 'JobsCreated':
        for (const c of createdJobs(e)) f.created.set(c.jobId, c)
        break
      case 'JobIssued':
        f.attempts.set(e.jobId, [...(f.attempts.get(e.jobId) ?? []), { attempt: e.attempt, outcome: undefined }])
        break
      case 'JobFinished':
        f.finishes.set(e.jobId, [...(f.finishes.get(e.jobId) ?? []), e])
        settle(e.jobId, e.attempt, out, { kind: 'finished', event: e })
        break
      case 'JobFailed':
        settle(e.jobId, e.attempt, out, { kind: 'failed', reason: e.reason })
        note(e.jobId, 'failed')
        break
      case 'JobAbandoned':
        f.abandoned.add(`${e.jobId}:${e.attempt}`)
        settle(e.jobId, e.attempt, out, { kind: 'abandoned' })
        break
      case 'JobFailedCompletely':
        note(e.jobId, 'failedCompletely')
        break
      case 'JobRevived':
        note(e.jobId, 'revived')
        break
      default:
        break
    }
  })
  return f
}
