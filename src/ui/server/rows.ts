import type { AuditState } from '../../audit/auditState.ts'
import type { JobTreeState } from '../../decider/jobTreeState.ts'
import type { Recorded } from '../../events/catalogue.ts'
import { createdJobs } from '../../events/jobsOf.ts'
import { ROW_STATES, type Row, type RowState } from '../protocol.ts'

// A job's row: its state derived from the job tree (which forgets a job once
// its subtree is done) and the timeline (which keeps every job). And which
// rows an event can change, so that the page is sent only those.

const CODE = new Map<RowState, number>(ROW_STATES.map((s, i) => [s, i]))

export function rowState(a: AuditState, id: number): RowState {
  const job = a.timeline.jobs.get(id)
  const record = a.tree.jobs.get(id)
  if (job?.discarded === true) return 'superseded'
  if (record === undefined) return job?.failedCompletely ? 'failed' : 'done'
  switch (record.phase) {
    case 'issued':
      return 'running'
    case 'succeeded':
      return 'done'
    case 'failed':
      return 'failed'
    default:
      // Waiting or queued again after a failed attempt: it will be retried.
      return job?.attempts.at(-1)?.outcome === 'failed' ? 'retrying' : record.phase
  }
}

export function rowOf(a: AuditState, id: number): Row | undefined {
  const job = a.timeline.jobs.get(id)
  if (job === undefined) return undefined
  return [id, job.parent, job.relation === 'followOn' ? 1 : 0, job.name, CODE.get(rowState(a, id)) ?? 0, job.attempts.length, job.failures]
}

export function allRows(a: AuditState): Row[] {
  const rows: Row[] = []
  for (const [id] of a.timeline.jobs.entries()) {
    const row = rowOf(a, id)
    if (row !== undefined) rows.push(row)
  }
  return rows
}

/**
 * The jobs whose row `r` may change, taking the tree from `before` to
 * `after`: those it names or creates, and those it queued. A job changes
 * phase without being named only when it joins the ready queue (its
 * dependencies met) or leaves the tree once its subtree is done, which a
 * row shows as done already; a rewind names the jobs it sends back and discards.
 */
export function touchedBy(r: Recorded, before: JobTreeState, after: JobTreeState, into: Set<number>): void {
  const e = r.event
  if ('jobId' in e && e.jobId >= 0) into.add(e.jobId)
  for (const c of createdJobs(e)) into.add(c.jobId)
  if (e.type === 'JobsRewound') {
    for (const j of e.reset) into.add(j.jobId)
    for (const [first, count] of e.discarded) for (let id = first; id < first + count; id++) into.add(id)
  }
  // The queue grows only at its tail: what follows the old tail (or the whole queue, if it was empty).
  let id = after.readyHead
  if (before.readyTail !== -1) {
    const oldTail = after.jobs.get(before.readyTail)
    id = oldTail?.phase === 'ready' ? oldTail.next : -1
  }
  for (; id !== -1; id = after.jobs.get(id)?.next ?? -1) into.add(id)
}
