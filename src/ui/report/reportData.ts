import type { Recorded } from '../../events/catalogue.ts'
import { emptyAudit, evolveAudit, type AuditState } from '../../audit/auditState.ts'
import { describeReason, inputSummary } from '../../audit/describe.ts'
import { EventSource } from '../../audit/eventSource.ts'
import { foldEvents } from '../../audit/fold.ts'
import { summarize, type StatsReport } from '../../audit/stats.ts'
import { leaderStatus, statusReport, type StatusReport } from '../../audit/statusReport.ts'
import { noLeaderAnswers } from '../../socket/readEvents.ts'
import { startOf, type AttemptOutcome, type Timeline } from '../../audit/timeline.ts'
import { jobLogFile, type StorePaths } from '../../store/store.ts'
import { attemptTail } from './attemptLog.ts'
import { packLanes } from './lanes.ts'

// Everything the report shows, read from a store's log (or its running
// leader) through the read models `status` and `stats` use.

/** Failed attempts listed in full (the newest); the rest are counted. */
export const FAILED_ATTEMPTS_SHOWN = 50

export interface FailedAttempt {
  jobId: number
  name: string
  attempt: number
  endAt: number
  reason: string
  input: string
  logTail: string
}

/**
 * The timeline's attempts for the page's script, compact: GANTT_STRIDE
 * numbers an attempt (GANTT_FIELDS, in that order), times in ms from `t0`.
 */
export interface GanttData {
  t0: number
  /** The end of the drawn span: the last event, or the report's time while the run goes on. */
  end: number
  lanes: number
  names: string[]
  attempts: number[]
  /** When each leader after the first took the run up (ms from t0). */
  restarts: number[]
}

export const GANTT_FIELDS = ['job', 'attempt', 'name', 'outcome', 'lane', 'critical', 'ready', 'issued', 'start', 'end'] as const
export const GANTT_STRIDE = GANTT_FIELDS.length
/** Outcome codes in GanttData, by index. */
export const OUTCOMES: readonly AttemptOutcome[] = ['succeeded', 'failed', 'abandoned', 'out']

export interface ReportData {
  store: string
  generatedAt: number
  /** A leader was running the store: the report is a snapshot of a run still going. */
  live: boolean
  seq: number
  lastEventAt: number
  status: StatusReport
  stats: StatsReport
  /** Why the last leader was stopped, when it was and none resumed since. */
  interrupted: string | null
  gantt: GanttData
  failedAttempts: { newest: FailedAttempt[]; total: number }
}

export async function readReport(dir: string, now: () => number = Date.now): Promise<ReportData> {
  const source = await EventSource.open(dir)
  try {
    // A failed attempt's input, noted as it fails: the job tree forgets a job once its subtree is done.
    const inputs = new Map<number, string>()
    const restarts: number[] = []
    const step = (s: AuditState, r: Recorded): AuditState => {
      if (r.event.type === 'WorkflowResumed') restarts.push(Math.max(r.event.at, s.at))
      if (r.event.type === 'JobFailed' && !inputs.has(r.event.jobId)) {
        const job = s.tree.jobs.get(r.event.jobId)
        if (job !== undefined) inputs.set(r.event.jobId, inputSummary(job.spec))
      }
      return evolveAudit(s, r)
    }
    const state = await foldEvents(source, emptyAudit, step)
    const live = source.live
    const generatedAt = now()
    const stats = summarize(state.timeline)
    const end = live ? Math.max(generatedAt, state.at) : state.at
    return {
      store: source.paths.root,
      generatedAt,
      live,
      seq: state.seq,
      lastEventAt: state.at,
      status: { ...statusReport(source.paths, state.tree), live, running: live ? await runningNow(source.paths) : null },
      stats,
      interrupted: state.tree.interrupted?.reason ?? null,
      gantt: ganttData(state.timeline, stats, end, restarts),
      failedAttempts: failedAttempts(source.paths, state.timeline, inputs),
    }
  } finally {
    await source.close()
  }
}

/** How many of the issued jobs the running leader's batch system runs now (the rest wait for resources); null once it has stopped. */
async function runningNow(paths: StorePaths): Promise<number | null> {
  try {
    return (await leaderStatus(paths)).running
  } catch (err) {
    if (noLeaderAnswers(err)) return null
    throw err
  }
}

function ganttData(timeline: Timeline, stats: StatsReport, end: number, restarts: number[]): GanttData {
  const t0 = timeline.firstAt
  const critical = new Set(stats.criticalPath.steps.map((s) => `${s.jobId}:${s.attempt}`))
  const names: string[] = []
  const nameIndex = new Map<string, number>()
  const rows: Array<{ row: number[]; start: number; end: number }> = []
  for (const [, job] of timeline.jobs.entries()) {
    let name = nameIndex.get(job.name)
    if (name === undefined) {
      name = names.push(job.name) - 1
      nameIndex.set(job.name, name)
    }
    for (const a of job.attempts) {
      // Unmeasured attempts (still out, lost, abandoned) are drawn from when they were issued.
      const start = startOf(a) ?? a.issuedAt
      const stop = a.endAt < 0 ? end : a.endAt
      const row = [job.id, a.attempt, name, OUTCOMES.indexOf(a.outcome), 0, critical.has(`${job.id}:${a.attempt}`) ? 1 : 0]
      row.push(a.readyAt < 0 ? -1 : a.readyAt - t0, a.issuedAt - t0, start - t0, stop - t0)
      rows.push({ row, start, end: stop })
    }
  }
  const { lanes, count } = packLanes(rows)
  const attempts: number[] = []
  rows.forEach(({ row }, i) => {
    row[4] = lanes[i]
    attempts.push(...row)
  })
  return { t0, end: Math.max(end, t0), lanes: count, names, attempts, restarts: restarts.map((at) => at - t0) }
}

function failedAttempts(paths: StorePaths, timeline: Timeline, inputs: Map<number, string>): ReportData['failedAttempts'] {
  const all: Array<{ jobId: number; name: string; attempt: number; endAt: number; reason: string }> = []
  for (const [, job] of timeline.jobs.entries()) {
    for (const a of job.attempts) {
      if (a.outcome !== 'failed') continue
      all.push({ jobId: job.id, name: job.name, attempt: a.attempt, endAt: a.endAt, reason: a.reason === null ? 'unknown' : describeReason(a.reason) })
    }
  }
  all.sort((a, b) => b.endAt - a.endAt || b.jobId - a.jobId)
  const newest = all.slice(0, FAILED_ATTEMPTS_SHOWN).map((f) => ({
    ...f,
    input: inputs.get(f.jobId) ?? '',
    logTail: attemptTail(jobLogFile(paths, f.jobId), f.jobId, f.attempt),
  }))
  return { newest, total: all.length }
}
