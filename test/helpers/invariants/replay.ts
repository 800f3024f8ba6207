// Replay determinism (DESIGN.md, invariant 2): the same log gives the same
// state, byte for byte. Compared in the state codec's encoding, which holds
// every field of the state, tries as their entries in index order, so two
// states that differ anywhere differ as bytes.
import { join } from 'node:path'
import type { JobEvent } from '../../../src/events/catalogue.ts'
import { evolve } from '../../../src/decider/jobTree.ts'
import { initialState, type JobTreeState } from '../../../src/decider/jobTreeState.ts'
import { encodeState } from '../../../src/decider/stateCodec.ts'
import { EventLog } from '../../../src/store/log.ts'
import { replay } from '../../../src/store/replay.ts'

export function canonical(state: JobTreeState): Buffer {
  return Buffer.from(encodeState(state))
}

/** The state the store's log replays to, opened as a leader opens it (one opener at a time). */
export async function replayedState(store: string): Promise<Buffer> {
  const log = await EventLog.open(join(store, 'events'), false)
  try {
    return canonical(await replay(log))
  } finally {
    await log.close()
  }
}

/** Replays of one log all give the same state. */
export function replaysAgree(replays: readonly Buffer[]): string[] {
  const [first, ...others] = replays
  return others.some((r) => !r.equals(first))
    ? [`${replays.length} replays of the log gave different states (${replays.map((r) => r.length).join(' and ')} bytes)`]
    : []
}

/** A replay gives the state of a plain fold of the log's events (no snapshots, no batching). */
export function replayIsAFold(replayed: Buffer, events: readonly JobEvent[]): string[] {
  let folded: Buffer
  try {
    folded = canonical(events.reduce(evolve, initialState))
  } catch (err) {
    return [`folding the log's ${events.length} events threw: ${String(err)}`]
  }
  return replayed.equals(folded) ? [] : [`the replayed state differs from a fold of the log's ${events.length} events`]
}
