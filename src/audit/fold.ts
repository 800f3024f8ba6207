import type { Recorded } from '../events/catalogue.ts'
import { JobtreeError } from '../errors.ts'
import { ProjectionError } from '../decider/jobTree.ts'
import type { EventSource } from './eventSource.ts'

// Folds a store's events into a read model, stopping at `to` or before the
// first event `stop` rejects; an event the projections cannot apply is
// reported as a corrupt log, naming it.

export interface FoldRange {
  from?: number
  to?: number
  /** Stop before the first event this returns true for. */
  stopBefore?: (r: Recorded) => boolean
}

export async function foldEvents<S>(source: EventSource, init: S, step: (s: S, r: Recorded) => S, range: FoldRange = {}): Promise<S> {
  let state = init
  for await (const r of source.events(range.from ?? 1, range.to ?? Infinity)) {
    if (range.stopBefore?.(r)) break
    try {
      state = step(state, r)
    } catch (err) {
      if (!(err instanceof ProjectionError)) throw err
      throw new JobtreeError('LOG_CORRUPT', `event ${r.seq} (${r.event.type}) in ${source.paths.events} contradicts the log before it: ${err.message}`, {
        seq: r.seq,
      })
    }
  }
  return state
}

/** The time of the store's first event, or undefined for an empty log. */
export async function firstEventAt(source: EventSource): Promise<number | undefined> {
  for await (const r of source.events(1, 1)) return r.event.at
  return undefined
}
