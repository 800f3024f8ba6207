import { describeReason, inputSummary } from '../../audit/describe.ts'
import { EventSource } from '../../audit/eventSource.ts'
import { foldEvents } from '../../audit/fold.ts'
import { ancestry, emptyHistory, evolveHistory, historyEvents } from '../../audit/history.ts'
import { startOf } from '../../audit/timeline.ts'
import type { Recorded } from '../../events/catalogue.ts'
import { createdJobs } from '../../events/jobsOf.ts'
import { toJson } from '../../events/json.ts'
import { logTail } from '../../logTail.ts'
import { printable } from '../../printable.ts'
import { jobLogFile } from '../../store/store.ts'
import type { JobPanel } from '../protocol.ts'
import { rowState } from './rows.ts'
import { eventLine, type RunModel } from './runModel.ts'

// One job, as its panel shows it at a position: every event that touched it
// (as `replay --job` reads them), its attempts and why they failed, its
// input and value, and the tail of its log file (as it is now).

const SUMMARY_CHARS = 400
const LOG_LINES = 40
/** A job's newest events, when it has more (a parent that logged thousands of messages). */
const MOST_EVENTS = 500

export async function jobPanel(model: RunModel, id: number, seq: number): Promise<JobPanel | undefined> {
  const { state } = await model.stateAt(seq)
  const job = state.timeline.jobs.get(id)
  if (job === undefined) return undefined
  const source = await EventSource.open(model.paths.root)
  let history = emptyHistory(id)
  try {
    history = await foldEvents(source, history, evolveHistory, { to: state.seq })
  } finally {
    await source.close()
  }
  const events = historyEvents(history)
  const logFile = jobLogFile(model.paths, id)
  return {
    id,
    seq: state.seq,
    name: job.name,
    state: rowState(state, id),
    ancestry: ancestry(history).map((a) => ({ id: a.id, name: a.name, relation: a.relation })),
    input: inputOf(events, id),
    value: valueOf(events, id),
    attempts: job.attempts.map((a) => ({
      attempt: a.attempt,
      outcome: a.outcome,
      readyAt: a.readyAt,
      issuedAt: a.issuedAt,
      startAt: startOf(a) ?? null,
      endAt: a.endAt,
      wallMs: a.stats?.wallMs ?? null,
      cpuMs: a.stats?.cpuMs ?? null,
      maxRss: a.stats?.maxRss ?? null,
      reason: a.reason === null ? null : printable(describeReason(a.reason), 'block'),
    })),
    events: events.slice(-MOST_EVENTS).map((r) => eventLine(state, r) as NonNullable<ReturnType<typeof eventLine>>),
    logFile,
    logTail: printable(logTail(logFile, LOG_LINES), 'block'),
  }
}

function inputOf(events: Recorded[], id: number): string {
  for (const r of events)
    for (const c of createdJobs(r.event)) if (c.jobId === id) return c.spec.work.kind === 'target' ? inputSummary(c.spec, SUMMARY_CHARS) : ''
  return ''
}

function valueOf(events: Recorded[], id: number): string | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i].event
    if (e.type === 'JobFinished' && e.jobId === id) {
      const text = toJson(e.value)
      return text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS - 3)}...` : text
    }
  }
  return null
}
