import { describeReason, inputSummary, jobName } from './describe.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import type { HeldAttempt } from '../decider/inputs.ts'
import { logTail } from '../logTail.ts'
import { askLeader } from '../socket/ask.ts'
import { jobLogFile, type StorePaths } from '../store/store.ts'

// What `jobtree status` shows, built from a state (replayed, or the running
// leader's own).

export interface StatusReport {
  store: string
  runId: string
  module: string
  target: string
  epoch: number
  /** True when a running leader answered (the counts are live). */
  live: boolean
  complete: boolean
  ok: boolean
  counts: JobTreeState['counts']
  /** Of the issued jobs, those running now (the rest wait for resources); null when no leader answered. */
  running: number | null
  failedJobs: Array<{ jobId: number; name: string; input: string; attempts: number; failures: number; reason: string; logFile: string; logTail: string }>
  /** When the run started and, once it has, finished (ms since the epoch; 0 before it started). */
  startedAt: number
  finishedAt: number | null
}

/** `held`: what the running leader's batch system holds (none: the report is read from the log). */
export function statusReport(paths: StorePaths, state: JobTreeState, held?: readonly HeldAttempt[]): StatusReport {
  const live = held !== undefined
  const failedJobs: StatusReport['failedJobs'] = []
  if (state.counts.failed > 0) {
    for (const [, job] of state.jobs.entries()) {
      if (job.phase !== 'failed') continue
      const logFile = jobLogFile(paths, job.id)
      failedJobs.push({
        jobId: job.id,
        name: jobName(job.spec),
        input: inputSummary(job.spec),
        attempts: job.attempts,
        failures: job.failures,
        reason: job.lastFailure ? describeReason(job.lastFailure) : 'unknown',
        logFile,
        logTail: logTail(logFile, 10),
      })
    }
  }
  return {
    store: paths.root,
    runId: state.runId,
    module: state.module,
    target: state.target,
    epoch: state.epoch,
    live,
    complete: state.finished !== null,
    ok: state.finished?.ok === true,
    counts: state.counts,
    running: held === undefined ? null : held.filter((h) => h.ranMs !== null).length,
    failedJobs,
    startedAt: state.startedAt,
    finishedAt: state.finished?.at ?? null,
  }
}

/** The running leader's own report, asked over the store's socket. */
export async function leaderStatus(paths: StorePaths): Promise<StatusReport> {
  return (await askLeader(paths, 'status')) as StatusReport
}
