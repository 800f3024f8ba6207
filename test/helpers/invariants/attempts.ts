// Whether each attempt did what its plan had it do. A suite's fixture decides
// an attempt's behaviour from (seed, path, attempt), so the suite knows what
// every attempt had to do; the faults it injects (worker kills, hangs past the
// time limit) account for the failures the plan did not ask for, and the
// retry budget bounds them all.
import type { JobEvent } from '../../../src/events/catalogue.ts'
import type { BudgetStep, IssuedAttempt } from './logFacts.ts'

/** What a planned attempt does. */
export type Planned = 'ok' | 'fail' | 'hang'

export interface PlannedJob {
  name: string
  command: boolean
  /** Fails on every attempt: it must fail completely, and is the only kind that may. */
  doomed: boolean
  /** Runs at all (everything it waits for can succeed). */
  runs: boolean
  issued: readonly IssuedAttempt[]
  budget: readonly BudgetStep[]
  plan: (attempt: number) => Planned
  /** The plan, as a problem shows it. */
  planText: string
  /** What a target planned to fail throws on `attempt`. */
  thrown: (attempt: number) => string
  /** The pid of the worker that recorded `attempt`, if it did. */
  workerOf: (attempt: number) => number | undefined
}

export interface Injected {
  /** The exit code of a command planned to fail. */
  failCode: number
  /** The worker pids the test killed. */
  killed: ReadonlySet<number>
}

const failuresOf = (job: PlannedJob) => job.issued.flatMap(({ attempt, outcome }) => (outcome?.kind === 'failed' ? [{ attempt, reason: outcome.reason }] : []))

/**
 * Each attempt's outcome fits its plan: it succeeded only if planned to, it
 * failed as planned (a target's error, a command's exit code), or it was
 * stopped by what the test did (a killed worker, the rescue of a hang).
 */
export function outcomesFitThePlan(jobs: Iterable<PlannedJob>, injected: Injected): string[] {
  const problems: string[] = []
  for (const job of jobs) {
    for (const { attempt, outcome } of job.issued) {
      const b = job.plan(attempt)
      const what = `${job.name} attempt ${attempt} (planned: ${b})`
      if (outcome === undefined || outcome.kind === 'abandoned') continue
      if (outcome.kind === 'finished') {
        if (b !== 'ok') problems.push(`${what} succeeded`)
        continue
      }
      const { reason } = outcome
      switch (reason.kind) {
        case 'exception':
          if (b !== 'fail' || job.command) problems.push(`${what} threw: ${reason.message}`)
          else if (!reason.message.includes(job.thrown(attempt))) problems.push(`${what} threw the wrong error: ${reason.message}`)
          break
        case 'exit':
          if (b !== 'fail' || !job.command || reason.code !== injected.failCode) problems.push(`${what} exited with code ${reason.code}`)
          break
        case 'timeout':
          break
        case 'workerDied': {
          const worker = job.workerOf(attempt)
          if (worker !== undefined && worker !== 1 && !injected.killed.has(worker))
            problems.push(`${what} failed as its worker ${worker} died, but the test did not kill that worker`)
          if (reason.signal !== 'SIGKILL')
            problems.push(`${what}: its worker died of ${reason.signal ?? `exit code ${reason.code}`}, not of the test's SIGKILL`)
          break
        }
        default:
          problems.push(`${what} failed for an unplanned reason: ${JSON.stringify(reason).slice(0, 300)}`)
      }
      if (b === 'hang' && reason.kind !== 'timeout' && reason.kind !== 'workerDied') problems.push(`${what} failed with ${reason.kind}, not timeout`)
    }
  }
  return problems
}

/**
 * A job's failures are its planned ones (an error, an exit code) plus those
 * the test caused (worker kills, rescues): a count, so it fails only where a
 * failure is of neither kind, which outcomesFitThePlan names attempt by attempt.
 */
export function failuresAccountedFor(jobs: Iterable<PlannedJob>): string[] {
  const problems: string[] = []
  for (const job of jobs) {
    const failures = failuresOf(job)
    const planned = failures.filter((f) => f.reason.kind === 'exception' || f.reason.kind === 'exit').length
    const caused = failures.filter((f) => f.reason.kind === 'timeout' || f.reason.kind === 'workerDied').length
    if (failures.length !== planned + caused)
      problems.push(`${job.name} has ${failures.length} failed attempts, not its ${planned} planned ones plus ${caused} caused by kills and rescues`)
  }
  return problems
}

/** The failures since the job's last revival (a restart gives a job that failed completely a fresh budget), as of each budget step. */
function sinceRevival(budget: readonly BudgetStep[]): Array<{ step: BudgetStep; failures: number }> {
  let failures = 0
  return budget.map((step) => {
    if (step === 'failed') failures += 1
    else if (step === 'revived') failures = 0
    return { step, failures }
  })
}

/** No job fails more than retryCount+1 times between revivals. */
export function failuresWithinBudget(jobs: Iterable<PlannedJob>, retryCount: number): string[] {
  return [...jobs].flatMap((job) =>
    sinceRevival(job.budget)
      .filter((s) => s.step === 'failed' && s.failures > retryCount + 1)
      .map((s) => `${job.name} failed ${s.failures} times without being revived, over its budget of ${retryCount + 1} attempts`),
  )
}

/** Only a doomed job fails completely, and only after exactly retryCount+1 failed attempts since its last revival. */
export function doomedFailCompletelyOnBudget(jobs: Iterable<PlannedJob>, retryCount: number): string[] {
  return [...jobs].flatMap((job) =>
    sinceRevival(job.budget)
      .filter((s) => s.step === 'failedCompletely')
      .flatMap((s) => {
        if (!job.doomed) return [`${job.name} failed completely, but it is not doomed (planned ${job.planText})`]
        if (s.failures !== retryCount + 1)
          return [`doomed ${job.name} failed completely after ${s.failures} failed attempts, not retryCount+1 = ${retryCount + 1}`]
        return []
      }),
  )
}

/** A doomed job that runs has failed completely at the end (not revived since). */
export function doomedEndFailed(jobs: Iterable<PlannedJob>): string[] {
  const problems: string[] = []
  for (const job of jobs) {
    const last = job.budget.filter((s) => s !== 'failed').at(-1)
    if (job.doomed && job.runs && last !== 'failedCompletely') problems.push(`doomed ${job.name} has not failed completely at the end`)
  }
  return problems
}

/** No more attempts failed as their worker died than the test killed workers. */
export function workerDeathsWithinKills(jobs: Iterable<PlannedJob>, kills: number): string[] {
  const deaths = [...jobs].flatMap(failuresOf).filter((f) => f.reason.kind === 'workerDied').length
  return deaths > kills ? [`${deaths} attempts failed as their worker died, but the test killed only ${kills} workers`] : []
}

/** No attempt failed, in a run planned without failures. */
export function noAttemptFailed(events: readonly JobEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type === 'JobFailed') return [`job ${e.jobId} attempt ${e.attempt} failed: ${JSON.stringify(e.reason).slice(0, 300)}`]
    if (e.type === 'JobFailedCompletely') return [`job ${e.jobId} failed completely`]
    return []
  })
}

/** Every job succeeded on its first attempt, in a run in which nothing was killed. */
export function firstAttemptSucceeds(jobs: Iterable<{ name: string; finished: number }>): string[] {
  return [...jobs].filter((j) => j.finished !== 1).map((j) => `${j.name} succeeded on attempt ${j.finished} in a run without crashes`)
}
