import { createHash } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { JobEvent } from '../events/catalogue.ts'
import { decodeValue, encodeEvent, encodeValue } from '../events/codec.ts'
import type { EventLog } from '../events/log.ts'
import type { JobTreeState } from '../projections/jobTreeState.ts'
import { decodeState, joinParts, stateParts } from '../projections/stateCodec.ts'

// Snapshots of the job tree in the log's own LevelDB, so that a restart or a
// status reads one snapshot and the events after it instead of the whole
// history. A snapshot is only a cache: it names the digest of the event it
// was taken after, and one whose event is no longer that one (a log cut back
// and written again), or that this version cannot read, is passed over.

/** Events between snapshots, by default: a replay reads at most this many events past a snapshot. */
export const SNAPSHOT_EVERY = 10_000

/**
 * Events between snapshots per job the run has created, when that is more
 * than SNAPSHOT_EVERY. A snapshot holds the live jobs and the values kept for
 * promises, at most one record per job created, so its cost grows with the
 * jobs; spacing snapshots as they grow keeps encoding them a small, fixed
 * share of the leader's work per event (and a replay reads at most a quarter
 * as many events past one as the run has jobs).
 */
const INTERVAL_PER_JOB = 0.25

/** Events since the last snapshot above which a stopping leader takes one more. */
const FINAL_AFTER = 1000

function digest(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

/**
 * Takes a snapshot after every `every` events the leader commits (more on
 * runs with many jobs: see INTERVAL_PER_JOB). The state
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
  private latest: { seq: number; state: JobTreeState; last: JobEvent } | undefined

  constructor(
    private readonly log: EventLog,
    private readonly every = SNAPSHOT_EVERY,
  ) {}

  /** Called after a batch is synced, with the state it produced; the log's last event is the batch's last. */
  committed(state: JobTreeState, events: readonly JobEvent[]): void {
    if (this.every <= 0 || events.length === 0) return
    this.since += events.length
    this.latest = { seq: this.log.lastSeq, state, last: events[events.length - 1] }
    if (this.since < Math.max(this.every, state.counts.total * INTERVAL_PER_JOB) || this.writing !== undefined) return
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
    this.writing = this.write(latest.seq, latest.state, latest.last).catch(() => undefined).finally(() => (this.writing = undefined))
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
    for (const part of stateParts(state)) {
      parts.push(part)
      await nextTurn()
    }
    await this.log.putSnapshot(seq, packSnapshot(last, parts))
  }
}

/** A snapshot of `state`, the state after `last`, at once. */
export function encodeSnapshot(state: JobTreeState, last: JobEvent): Uint8Array {
  return packSnapshot(last, [...stateParts(state)])
}

function packSnapshot(last: JobEvent, parts: Uint8Array[]): Uint8Array {
  return encodeValue([digest(encodeEvent(last)), joinParts(parts)]).slice()
}

/** The newest usable snapshot at or before event `to`, with the sequence number it was taken after. */
export async function loadSnapshot(log: EventLog, to = Infinity): Promise<{ seq: number; state: JobTreeState } | undefined> {
  for await (const { seq, bytes } of log.snapshots(to)) {
    let current: Uint8Array | undefined
    for await (const raw of log.readRaw(seq, seq)) current = raw.bytes
    const state = current === undefined ? undefined : unpack(bytes, digest(current))
    if (state !== undefined) return { seq, state }
  }
  return undefined
}

/** The state in a snapshot taken after the event of digest `eventDigest`; undefined when it is of another event, or unreadable here. */
function unpack(bytes: Uint8Array, eventDigest: Uint8Array): JobTreeState | undefined {
  try {
    const value = decodeValue(bytes)
    if (!Array.isArray(value) || !(value[0] instanceof Uint8Array) || !(value[1] instanceof Uint8Array)) return undefined
    if (Buffer.compare(value[0], eventDigest) !== 0) return undefined
    return decodeState(value[1])
  } catch {
    // Written by another version, or damaged: the log still has the events.
    return undefined
  }
}
