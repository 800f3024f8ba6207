import type { EventLog } from '../events/log.ts'
import { JobtreeError } from '../errors.ts'
import { evolve, ProjectionError } from '../projections/jobTree.ts'
import { initialState, type JobTreeState } from '../projections/jobTreeState.ts'
import { loadSnapshot } from './snapshots.ts'

export interface ReplayOptions {
  /** Start from the newest snapshot at or before `to` (default); false reads the whole log. */
  snapshots?: boolean
}

/** Rebuilds the job tree from the log, up to and including event `to`. */
export async function replay(log: EventLog, to = Infinity, opts: ReplayOptions = {}): Promise<JobTreeState> {
  const snapshot = opts.snapshots === false ? undefined : await loadSnapshot(log, to)
  let state = snapshot?.state ?? initialState
  for await (const { seq, event } of log.read((snapshot?.seq ?? 0) + 1, to)) {
    try {
      state = evolve(state, event)
    } catch (err) {
      if (!(err instanceof ProjectionError)) throw err
      throw new JobtreeError('LOG_CORRUPT', `event ${seq} (${event.type}) in ${log.path} contradicts the log before it: ${err.message}`, { seq })
    }
  }
  return state
}
