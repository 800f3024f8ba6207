import { createHash } from 'node:crypto'
import type { JobEvent } from '../events/catalogue.ts'
import { decodeValue, encodeEvent, encodeValue } from '../events/codec.ts'
import type { EventLog } from '../events/log.ts'
import type { JobTreeState } from '../projections/jobTree.ts'
import { decodeState, encodeState } from '../projections/stateCodec.ts'

// Snapshots of the job tree in the log's own LevelDB, so that a restart or a
// status reads one snapshot and the events after it instead of the whole
// history. A snapshot is only a cache: it names the digest of the event it
// was taken after, and one whose event is no longer that one (a log cut back
// and written again), or that this version cannot read, is passed over.

/** Events between snapshots, by default: a replay reads at most this many events past a snapshot. */
export const SNAPSHOT_EVERY = 10_000

function digest(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

/** Takes a snapshot after every `every` events the leader commits. */
export class Snapshotter {
  private since = 0

  constructor(
    private readonly log: EventLog,
    private readonly every = SNAPSHOT_EVERY,
  ) {}

  /**
   * Called after a batch is synced, with the state it produced; the log's
   * last event is the batch's last. The write is not awaited: it is queued
   * behind the batch and lands before the next one.
   */
  committed(state: JobTreeState, events: readonly JobEvent[]): void {
    if (this.every <= 0 || events.length === 0) return
    this.since += events.length
    if (this.since < this.every) return
    this.since = 0
    const last = events[events.length - 1]
    const bytes = encodeValue([digest(encodeEvent(last)), encodeState(state)]).slice()
    // A snapshot that fails to land costs a longer replay, nothing more; the
    // next synced append reports a failing disk.
    this.log.putSnapshot(this.log.lastSeq, bytes).catch(() => undefined)
  }
}

/** The newest usable snapshot at or before event `to`, with the sequence number it was taken after. */
export async function loadSnapshot(log: EventLog, to = Infinity): Promise<{ seq: number; state: JobTreeState } | undefined> {
  for await (const { seq, bytes } of log.snapshots(to)) {
    const unpacked = unpack(bytes)
    if (unpacked === undefined) continue
    const [eventDigest, stateBytes] = unpacked
    let current: Uint8Array | undefined
    for await (const raw of log.readRaw(seq, seq)) current = raw.bytes
    if (current === undefined || Buffer.compare(digest(current), eventDigest) !== 0) continue
    const state = decodeState(stateBytes)
    if (state !== undefined) return { seq, state }
  }
  return undefined
}

function unpack(bytes: Uint8Array): [Uint8Array, Uint8Array] | undefined {
  try {
    const value = decodeValue(bytes)
    if (Array.isArray(value) && value[0] instanceof Uint8Array && value[1] instanceof Uint8Array) return [value[0], value[1]]
  } catch {
    // Unreadable: written by another version; the log still has the events.
  }
  return undefined
}
