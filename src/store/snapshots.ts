import { createHash } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { JobEvent } from '../events/catalogue.ts'
import { decodeValue, encodeEvent, encodeValue } from '../events/codec.ts'
import type { EventLog } from './log.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import { decodeState, stateParts } from '../decider/stateCodec.ts'

// Snapshots of the job tree in the log's own LevelDB, so that a restart or a
// status reads one snapshot and the events after it instead of the whole
// history. A snapshot is only a cache: it names the digest of the event it
// was taken after, and one whose event is no longer that one (a log cut back
// and written again), or that this version cannot read, is passed over.

/** Events between snapshots, by default: a replay reads at most this many events past a snapshot. */
export const SNAPSHOT_EVERY = 10_000

/**
 * Events between snapshots per byte of the last one, when that is more than
 * SNAPSHOT_EVERY (a leader given another interval stretches it alike). A
 * snapshot holds the live jobs and the values promises may still ask for,
 * so its cost follows the live state, not the jobs run so far; spacing
 * snapshots by their size keeps their encoding to a small, steady share of
 * the leader's work per event (the figures behind 1/40 are in
 * bench/RESULTS.md, "Figures behind design choices").
 */
const INTERVAL_PER_BYTE = 1 / 40

/** Events since the last snapshot above which a stopping leader takes one more. */
const FINAL_AFTER = 1000

function digest(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

/**
 * Takes a snapshot after every `every` events the leader commits (more on
 * runs with a large live state: see INTERVAL_PER_BYTE). The state
 * is immutable, so it is encoded a part at a time on later turns of the
 * event loop, between the leader's batches, and then written unsynced: the
 * leader never waits for a snapshot, and the next synced batch carries it to
 * the disk. One snapshot is written at a time; one falling due meanwhile is
 * skipped.
 */
export class Snapshotter {
  private since = 0
  private writing: Promise<void> | undefined
  private started = 0
  /** Bytes of the last snapshot written. */
  private size = 0
  private latest: { seq: number; state: JobTreeState; last: JobEvent } | undefined

  constructor(
    private readonly log: EventLog,
    private readonly every = SNAPSHOT_EVERY,
  ) {}

  /** Called after a batch is synced, with the state it produced and the sequence number of its last event. */
  committed(state: JobTreeState, events: readonly JobEvent[], seq: number): void {
    if (this.every <= 0 || events.length === 0) return
    this.since += events.length
    this.latest = { seq, state, last: events[events.length - 1] }
    // The configured interval, stretched after a large snapshot.
    const interval = this.every * Math.max(1, (this.size * INTERVAL_PER_BYTE) / SNAPSHOT_EVERY)
    if (this.since < interval || this.writing !== undefined) return
    this.start()
  }

  /**
   * When the leader stops: waits for the snapshot being written, then takes
   * one of the last state unless few events came after the newest, so that a
   * `status` or a restart after the run reads next to nothing. Call before
   * the log is closed.
   */
  async finish(): Promise<void> {
    await this.writing
    if (this.since >= FINAL_AFTER) this.start()
    await this.writing
  }

  private start(): void {
    const latest = this.latest
    if (latest === undefined) return
    this.since = 0
    this.started += 1
    // A snapshot that fails to land costs a longer replay, nothing more; the
    // next synced append reports a failing disk.
    this.writing = this.write(latest.seq, latest.state, latest.last)
      .catch(() => undefined)
      .finally(() => (this.writing = undefined))
  }

  /** Snapshots started so far. */
  get taken(): number {
    return this.started
  }

  /** Waits for the snapshot being written, if any, as a leader that crashed next would leave the log. */
  async settled(): Promise<void> {
    await this.writing
  }

  private async write(seq: number, state: JobTreeState, last: JobEvent): Promise<void> {
    const parts: Uint8Array[] = []
    let size = 0
    for (const part of stateParts(state)) {
      parts.push(part)
      size += part.length
      await nextTurn()
    }
    this.size = size
    await this.log.putSnapshot(seq, snapshotHead(last, parts), parts)
  }
}

/** A snapshot of `state`, the state after `last`, at once. */
export function encodeSnapshot(state: JobTreeState, last: JobEvent): { head: Uint8Array; parts: Uint8Array[] } {
  const parts = [...stateParts(state)]
  return { head: snapshotHead(last, parts), parts }
}

/**
 * The head names the event the snapshot was taken after, and the parts, by
 * their digests: the state's tries are decoded when first used, long after
 * loading, so the parts are checked whole first.
 */
function snapshotHead(last: JobEvent, parts: readonly Uint8Array[]): Uint8Array {
  return encodeValue([digest(encodeEvent(last)), parts.length, partsDigest(parts)])
}

function partsDigest(parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return hash.digest()
}

/** The newest usable snapshot at or before event `to`, with the sequence number it was taken after. */
export async function loadSnapshot(log: EventLog, to = Infinity): Promise<{ seq: number; state: JobTreeState } | undefined> {
  for await (const { seq, bytes } of log.snapshots(to)) {
    let current: Uint8Array | undefined
    for await (const raw of log.readRaw(seq, seq)) current = raw.bytes
    const state = current === undefined ? undefined : await unpack(log, seq, bytes, digest(current))
    if (state !== undefined) return { seq, state }
  }
  return undefined
}

/** The state in the snapshot of head `head`, taken after the event of digest `eventDigest`; undefined when it is of another event, incomplete, or unreadable here. */
async function unpack(log: EventLog, seq: number, head: Uint8Array, eventDigest: Uint8Array): Promise<JobTreeState | undefined> {
  try {
    const value = decodeValue(head)
    if (!Array.isArray(value) || !(value[0] instanceof Uint8Array) || typeof value[1] !== 'number' || !(value[2] instanceof Uint8Array)) return undefined
    if (Buffer.compare(value[0], eventDigest) !== 0) return undefined
    const parts = await log.snapshotParts(seq)
    if (parts.length !== value[1] || Buffer.compare(partsDigest(parts), value[2]) !== 0) return undefined
    return decodeState(parts)
  } catch {
    // Written by another version, or damaged: the log still has the events.
    return undefined
  }
}
