import type { Recorded } from '../events/catalogue.ts'
import { evolve } from '../decider/jobTree.ts'
import { initialState, type JobTreeState } from '../decider/jobTreeState.ts'
import { emptyTimeline, evolveTimeline, type Timeline } from './timeline.ts'

// The job tree and the timeline folded together, as `replay` and `stats`
// read a log: the timeline needs the tree before and after each event.

export interface AuditState {
  /** The last event folded in (0: none), and its time (no earlier than any before it). */
  readonly seq: number
  readonly at: number
  readonly tree: JobTreeState
  readonly timeline: Timeline
}

export const emptyAudit: AuditState = { seq: 0, at: 0, tree: initialState, timeline: emptyTimeline }

/** Throws ProjectionError when the event contradicts the log before it. */
export function evolveAudit(s: AuditState, r: Recorded): AuditState {
  const tree = evolve(s.tree, r.event)
  // As the timeline does: no earlier than the event before (a log from a leader whose wall clock stepped back).
  return { seq: r.seq, at: Math.max(r.event.at, s.at), tree, timeline: evolveTimeline(s.timeline, r.event, s.tree, tree) }
}
