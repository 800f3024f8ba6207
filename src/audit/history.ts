import type { Recorded, Relation } from '../events/catalogue.ts'
import { concernsJob, createdJobs, createsJobs, rewinds } from '../events/jobsOf.ts'
import { jobName } from './describe.ts'
import { PVec } from '../decider/pvec.ts'

// One job's whole history: every event that names it, and the creation of
// the jobs it added, in log order; and, to name its ancestors, the parent of
// every job created so far.

export interface Lineage {
  readonly parent: number
  readonly relation: Relation
  readonly name: string
}

export interface JobHistory {
  readonly jobId: number
  readonly lineage: PVec<Lineage>
  readonly events: PVec<Recorded>
  readonly count: number
}

export function emptyHistory(jobId: number): JobHistory {
  return { jobId, lineage: PVec.empty(), events: PVec.empty(), count: 0 }
}

export function evolveHistory(h: JobHistory, r: Recorded): JobHistory {
  const e = r.event
  let lineage = h.lineage
  for (const c of createdJobs(e)) lineage = lineage.set(c.jobId, { parent: c.parent, relation: c.relation, name: jobName(c.spec) })
  const touches = concernsJob(e, h.jobId) || (createsJobs(e) && e.parent === h.jobId)
  if (!touches) return lineage === h.lineage ? h : { ...h, lineage }
  return { ...h, lineage, events: h.events.set(h.count, r), count: h.count + 1 }
}

/** The job and its ancestors, the job first and the root last. */
export function ancestry(h: JobHistory): Array<Lineage & { id: number }> {
  const chain: Array<Lineage & { id: number }> = []
  for (let id = h.jobId; id !== -1; ) {
    const l = h.lineage.get(id)
    if (l === undefined) break
    chain.push({ id, ...l })
    id = l.parent
  }
  return chain
}

export function historyEvents(h: JobHistory): Recorded[] {
  return [...h.events.entries()].map(([, r]) => r)
}

/**
 * The events of the job's history a later rewind superseded, each with that
 * rewind's seq: what happened to the job after it was made, up to a rewind
 * that sent it back; and all of it, its making too, up to one that discarded it.
 */
export function supersededBy(h: JobHistory): Map<number, number> {
  const by = new Map<number, number>()
  const events = historyEvents(h)
  let open: Recorded[] = []
  for (const r of events) {
    const e = r.event
    if (e.type !== 'JobsRewound' || !rewinds(e, h.jobId)) {
      open.push(r)
      continue
    }
    const discarded = !e.reset.some((j) => j.jobId === h.jobId)
    for (const o of open) if (discarded || !concernsJob(o.event, h.jobId) || !createsJobs(o.event)) by.set(o.seq, r.seq)
    open = []
  }
  return by
}
