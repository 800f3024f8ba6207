import type { EventLog } from '../events/log.ts'
import { JobtreeError } from '../errors.ts'
import { evolve, initialState, ProjectionError, type JobTreeState } from '../projections/jobTree.ts'

/** Rebuilds the job tree from the log, up to and including event `to`. */
export async function replay(log: EventLog, to = Infinity): Promise<JobTreeState> {
  let state = initialState
  for await (const { seq, event } of log.read(1, to)) {
    try {
      state = evolve(state, event)
    } catch (err) {
      if (!(err instanceof ProjectionError)) throw err
      throw new JobtreeError('LOG_CORRUPT', `event ${seq} (${event.type}) in ${log.path} contradicts the log before it: ${err.message}`, { seq })
    }
  }
  return state
}
