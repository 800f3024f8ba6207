import type { EventLog } from './log.ts'
import { JobtreeError } from '../errors.ts'
import type { Recorded } from '../events/catalogue.ts'
import { evolve, evolveAll, ProjectionError } from '../decider/jobTree.ts'
import { initialState, type JobTreeState } from '../decider/jobTreeState.ts'
import { loadSnapshot } from './snapshots.ts'

export interface ReplayOptions {
  /** Start from the newest snapshot at or before `to` (default); false reads the whole log. */
  snapshots?: boolean
}

/** Events evolved together: one copy of the state's top level and of each trie node touched, per batch instead of per event. */
const BATCH = 1000

/** Rebuilds the job tree from the log, up to and including event `to`. */
export async function replay(log: EventLog, to = Infinity, opts: ReplayOptions = {}): Promise<JobTreeState> {
  const snapshot = opts.snapshots === false ? undefined : await loadSnapshot(log, to)
  let state = snapshot?.state ?? initialState
  let batch: Recorded[] = []
  for await (const recorded of log.read((snapshot?.seq ?? 0) + 1, to)) {
    batch.push(recorded)
    if (batch.length < BATCH) continue
    state = evolveBatch(log, state, batch)
    batch = []
  }
  return evolveBatch(log, state, batch)
}

function evolveBatch(log: EventLog, state: JobTreeState, batch: readonly Recorded[]): JobTreeState {
  try {
    return evolveAll(
      state,
      batch.map((r) => r.event),
    )
  } catch (err) {
    if (!(err instanceof ProjectionError)) throw err
  }
  // Again one event at a time, to name the one the log before it contradicts.
  for (const { seq, event } of batch) {
    try {
      state = evolve(state, event)
    } catch (err) {
      if (!(err instanceof ProjectionError)) throw err
      throw new JobtreeError('LOG_CORRUPT', `event ${seq} (${event.type}) in ${log.path} contradicts the log before it: ${err.message}`, { seq })
    }
  }
  throw new Error('evolveAll refused a batch that evolve accepts event by event')
}
