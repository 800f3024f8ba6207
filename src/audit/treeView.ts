import type { AuditState } from './auditState.ts'
import type { Phase } from '../decider/jobTreeState.ts'
import type { Relation } from '../events/catalogue.ts'
import { startOf, type AttemptTiming, type JobTimeline } from './timeline.ts'

// The job tree as `replay` prints it: every job created up to a position, in
// depth-first order (children before follow-ons, as their ids go), with its
// state then and the times of its latest attempt.

/** 'done': the job and everything below it had finished, so it had left the live tree; 'superseded': a rewind discarded it. */
export type ViewState = Phase | 'done' | 'superseded'

export interface JobView {
  id: number
  parent: number
  relation: Relation
  name: string
  depth: number
  state: ViewState
  attempts: number
  failures: number
  /** From joining the ready queue to starting (or, for a job still queued or out, to the position's time). */
  waitMs: number | null
  /** The latest attempt's wall time (or, while it is out, the time since it was issued). */
  runMs: number | null
  /** The times are still growing at this position. */
  ongoing: boolean
  lastAttempt: AttemptTiming | null
}

export function treeView(a: AuditState, maxDepth = Infinity): JobView[] {
  const kids = new Map<number, number[]>()
  for (const [id, job] of a.timeline.jobs.entries()) {
    if (job.parent === -1) continue
    const list = kids.get(job.parent)
    if (list === undefined) kids.set(job.parent, [id])
    else list.push(id)
  }
  const rows: JobView[] = []
  const stack: Array<[number, number]> = []
  for (const [id, job] of a.timeline.jobs.entries()) if (job.parent === -1) stack.push([id, 0])
  stack.reverse()
  while (stack.length > 0) {
    const [id, depth] = stack.pop() as [number, number]
    const job = a.timeline.jobs.get(id)
    if (job === undefined) continue
    rows.push(view(a, job, depth))
    if (depth + 1 > maxDepth) continue
    const children = kids.get(id) ?? []
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], depth + 1])
  }
  return rows
}

function view(a: AuditState, job: JobTimeline, depth: number): JobView {
  const state: ViewState = job.discarded ? 'superseded' : (a.tree.jobs.get(job.id)?.phase ?? 'done')
  const last = job.attempts.at(-1) ?? null
  let waitMs: number | null = null
  let runMs: number | null = null
  let ongoing = false
  if (state === 'ready') {
    // Queued (again, after a failed attempt) and not yet issued.
    waitMs = a.at - job.readyAt
    ongoing = true
  } else if (last !== null) {
    const start = startOf(last)
    if (last.endAt < 0) {
      waitMs = last.readyAt >= 0 ? last.issuedAt - last.readyAt : null
      runMs = a.at - last.issuedAt
      ongoing = true
    } else {
      waitMs = start !== undefined && last.readyAt >= 0 ? Math.max(0, start - last.readyAt) : null
      runMs = last.stats?.wallMs ?? null
    }
  }
  return {
    id: job.id,
    parent: job.parent,
    relation: job.relation,
    name: job.name,
    depth,
    state,
    attempts: job.attempts.length,
    failures: job.failures,
    waitMs,
    runMs,
    ongoing,
    lastAttempt: last,
  }
}
