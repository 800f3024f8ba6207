import { dirname } from 'node:path'
import { Level } from 'level'
import type { JobEvent, Recorded } from '../events/catalogue.ts'
import { decodeEvent, encodeEvent } from '../events/codec.ts'
import { decodeSegment, encodeSegment, SEGMENT_EVENTS, segmentCount, segmentRanges, UnreadableSegment } from './segment.ts'
import { UnreadableEvent } from '../events/upcast.ts'
import { JobtreeError, oneLine } from '../errors.ts'
import { diskFullError, isNoSpace, resumeHint } from '../diskFull.ts'

// The append-only event log on LevelDB. Events are stored in segments of
// consecutive events (segment.ts), keyed `b` + the sequence number of the
// segment's first event in fixed-width hex, so LevelDB's byte order is the
// log's order. Every append is one atomic, synced batch of one or more
// segments: after `append` resolves, the events survive a crash or a power
// loss; before, none of them is visible after a restart. Logs written before
// segments hold one entry an event, keyed `e` + its sequence number; they are
// read first (every segment comes after them) and appended to in segments.
// Snapshots of projected state live beside the events: a small head under
// `s` + the sequence number they were taken at, and their parts under `p` +
// that number + the part's index. They are a cache the log can lose. (Kept in
// parts, never as one large value, because LevelDB reads a whole value to
// step over it, and a seek of the log's end would pay for the whole
// snapshot.)

const EVENT = 'e'
const SEGMENT = 'b'
const SNAPSHOT = 's'
const PART = 'p'
const WIDTH = 16
const READ_CHUNK = 1000
// Up to READ_CHUNK entries a read from LevelDB, as long as they stay under this many bytes.
const READ_BYTES = 2 ** 20

function keyOf(seq: number, prefix: string): string {
  return prefix + seq.toString(16).padStart(WIDTH, '0')
}

function seqOf(key: string): number {
  return parseInt(key.slice(1, 1 + WIDTH), 16)
}

function partKey(seq: number, index: number): string {
  return keyOf(seq, PART) + index.toString(16).padStart(8, '0')
}

/** The keys of the parts of the snapshot taken after event `seq`. */
function partsOf(seq: number): { gte: string; lte: string } {
  return { gte: partKey(seq, 0), lte: keyOf(seq, PART) + '~' }
}

/** The upper bound of keys with `prefix` for a read up to event `to`. */
function upTo(to: number, prefix: string): string {
  return Number.isFinite(to) ? keyOf(to, prefix) : prefix + '~'
}

/** An event as stored, before decoding. */
export interface RawRecord {
  seq: number
  /** May be a view into the larger buffer of the event's segment. */
  bytes: Uint8Array
}

/** Told of each batch once it is synced: its first sequence number and the stored bytes of its events. */
export type AppendListener = (first: number, values: readonly Uint8Array[]) => void

/** Decodes the stored bytes of event `seq` of the log at `path`, or throws LOG_CORRUPT naming it. */
export function decodeStored(path: string, seq: number, bytes: Uint8Array): JobEvent {
  try {
    return decodeEvent(bytes)
  } catch (err) {
    const why = err instanceof UnreadableEvent ? err.message : `undecodable bytes (${(err as Error).message})`
    throw new JobtreeError('LOG_CORRUPT', `event ${seq} in ${path} cannot be read: ${why}`, { seq, path })
  }
}

export class EventLog {
  private last: number
  private pending: Promise<unknown> = Promise.resolve()
  private readonly listeners = new Set<AppendListener>()
  /** What the first write that failed threw: the log takes no more writes (see `write`). */
  private broken: { error: unknown } | undefined
  private readonly onClose: Array<() => void> = []

  private constructor(
    private readonly db: Level<string, Uint8Array>,
    readonly path: string,
    last: number,
    /** The newest event stored one entry an event, as logs were before segments (0 if none). */
    private readonly legacyLast: number,
  ) {
    this.last = last
  }

  /** Opens the LevelDB at `path`; fails with STORE_IN_USE while another process holds it. */
  static async open(path: string, create: boolean): Promise<EventLog> {
    const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view', createIfMissing: create })
    try {
      await db.open()
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new JobtreeError('STORE_IN_USE', `store is in use by another jobtree process (${path} is locked)`, { path })
      }
      if (isNoSpace(cause)) throw diskFullError(cause, path, resumeHint(dirname(path)))
      throw new JobtreeError('STORE_INVALID', `cannot open the event log at ${path}: ${cause?.message ?? (err as Error).message}`, { path })
    }
    try {
      let legacyLast = 0
      for await (const key of db.keys({ gte: EVENT, lt: EVENT + '~', reverse: true, limit: 1 })) legacyLast = seqOf(key)
      const last = (await lastSegmented(db, path)) ?? legacyLast
      // A snapshot past the end describes events the log no longer has.
      await db.clear({ gt: keyOf(last, SNAPSHOT), lt: SNAPSHOT + '~' })
      await db.clear({ gte: keyOf(last + 1, PART), lt: PART + '~' })
      return new EventLog(db, path, last, legacyLast)
    } catch (err) {
      await db.close()
      throw writeError(err, path)
    }
  }

  /** The sequence number of the newest event (0 for an empty log). */
  get lastSeq(): number {
    return this.last
  }

  /** The time of the newest event (0 for an empty log): whatever writes next records nothing before it. */
  async lastAt(): Promise<number> {
    for await (const { event } of this.read(this.last, this.last)) return event.at
    return 0
  }

  /**
   * Appends events as one atomic, synced batch and resolves with the sequence
   * number of the last one. Appends are applied in call order.
   */
  append(events: readonly JobEvent[]): Promise<number> {
    // Encoded a segment's worth at a time: a decision that creates 100,000
    // jobs then holds their segments, not also 100,000 encodings.
    const segments: Uint8Array[] = []
    for (let start = 0; start < events.length; start += SEGMENT_EVENTS) {
      const values = events.slice(start, start + SEGMENT_EVENTS).map(encodeEvent)
      for (const [from, to] of segmentRanges(values)) segments.push(encodeSegment(values.slice(from, to)))
    }
    return this.appendSegments(segments, events.length)
  }

  /**
   * Appends events already encoded as the log stores them (a log being
   * copied, or a generated one), as `append` does.
   */
  appendEncoded(values: readonly Uint8Array[]): Promise<number> {
    return this.appendSegments(
      segmentRanges(values).map(([start, end]) => encodeSegment(values.slice(start, end))),
      values.length,
    )
  }

  private appendSegments(segments: readonly Uint8Array[], count: number): Promise<number> {
    if (count === 0) return Promise.resolve(this.last)
    const first = this.last + 1
    this.last += count
    let key = first
    const ops = segments.map((value) => {
      const op = { type: 'put' as const, key: keyOf(key, SEGMENT), value }
      key += segmentCount(value)
      return op
    })
    const done = this.pending
      .then(() => this.write(() => this.db.batch(ops, { sync: true } as object)))
      .then(() => {
        if (this.listeners.size > 0) {
          const values = segments.flatMap((bytes) => {
            const segment = decodeSegment(bytes)
            return Array.from({ length: segment.count }, (_, i) => segment.event(i))
          })
          for (const listener of this.listeners) listener(first, values)
        }
        return first + count - 1
      })
    this.pending = done.catch(() => undefined)
    return done
  }

  /**
   * Runs writes to LevelDB. After one fails, every later write fails with
   * the same error: a failed write may leave a torn record at the end of
   * LevelDB's write-ahead file, which recovery drops as a torn tail only as
   * long as nothing follows it (a record written after it, once space is
   * freed, would make it damage in the middle of the file). A snapshot that
   * fails thus stops the next append, with the reason.
   */
  private async write(writes: () => Promise<void>): Promise<void> {
    if (this.broken !== undefined) throw this.broken.error
    try {
      await writes()
    } catch (err) {
      this.broken = { error: writeError(err, this.path) }
      throw this.broken.error
    }
  }

  /** Calls `listener` after each synced append until the returned function is called. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Reads events in order from `from` (inclusive) up to `to` (inclusive). */
  async *read(from = 1, to = Infinity): AsyncGenerator<Recorded> {
    for await (const { seq, bytes } of this.readRaw(from, to)) yield { seq, event: decodeStored(this.path, seq, bytes) }
  }

  /** The stored bytes of events `from` .. `to` (inclusive), in order. */
  async *readRaw(from = 1, to = Infinity): AsyncGenerator<RawRecord> {
    // Sequence numbers have no holes: a hole means LevelDB dropped a damaged
    // record in the middle of the log, and nothing after it can be trusted.
    let expected = Math.max(1, from)
    if (expected <= this.legacyLast) {
      for await (const entries of this.chunks({ gte: keyOf(expected, EVENT), lte: upTo(to, EVENT) })) {
        for (const [key, bytes] of entries) {
          this.refuseHole(expected, seqOf(key))
          yield { seq: expected++, bytes }
        }
      }
    }
    if (expected > to) return
    // The segment holding `expected` is the last one to begin at or before it.
    const head = await this.db
      .iterator({ gte: SEGMENT, lte: keyOf(expected, SEGMENT), reverse: true, limit: 1 })
      .all()
      .catch((err: unknown) => {
        throw readError(err, this.path)
      })
    for await (const entries of this.chunks({ gt: head[0]?.[0] ?? SEGMENT, lte: upTo(to, SEGMENT) }, head)) {
      for (const [key, value] of entries) {
        const first = seqOf(key)
        this.refuseHole(expected, first)
        const segment = unframed(this.path, first, () => decodeSegment(value))
        const end = Math.min(first + segment.count - 1, to)
        for (; expected <= end; expected++) yield { seq: expected, bytes: segment.event(expected - first) }
        if (expected > to) return
      }
    }
  }

  /**
   * The entries of `range`, in order, a chunk at a time, after `ahead` (read
   * already): a read that ends within `ahead` never opens its iterator.
   */
  private async *chunks(
    range: { gt?: string; gte?: string; lte: string },
    ahead: Array<[string, Uint8Array]> = [],
  ): AsyncGenerator<Array<[string, Uint8Array]>> {
    if (ahead.length > 0) yield ahead
    const it = this.db.iterator({ ...range, highWaterMarkBytes: READ_BYTES })
    try {
      for (;;) {
        const entries = await it.nextv(READ_CHUNK).catch((err: unknown) => {
          throw readError(err, this.path)
        })
        if (entries.length === 0) return
        yield entries
      }
    } finally {
      await it.close()
    }
  }

  private refuseHole(expected: number, seq: number): void {
    if (seq > expected) {
      throw new JobtreeError('LOG_CORRUPT', `the log in ${this.path} is damaged: events ${expected} to ${seq - 1} are missing`, {
        path: this.path,
        seq: expected,
      })
    }
  }

  /**
   * Stores a snapshot taken after event `seq`, its head and its parts in one
   * batch, and drops all but the `keep` newest (restarts and status read the
   * newest; the one before stands in if a crash loses it). Not synced: a
   * snapshot lost in a crash costs only a longer replay, and one that
   * survives is whole.
   */
  putSnapshot(seq: number, head: Uint8Array, parts: readonly Uint8Array[], keep = 2): Promise<void> {
    const done = this.pending.then(() =>
      this.write(async () => {
        // Parts of an earlier snapshot at the same event would follow the new ones.
        await this.db.clear(partsOf(seq))
        await this.db.batch([
          ...parts.map((value, i) => ({ type: 'put' as const, key: partKey(seq, i), value })),
          { type: 'put', key: keyOf(seq, SNAPSHOT), value: head },
        ])
        const kept = await this.db.keys({ gte: SNAPSHOT, lt: SNAPSHOT + '~', reverse: true, limit: keep }).all()
        if (kept.length < keep) return
        const oldest = seqOf(kept[kept.length - 1])
        await this.db.clear({ gte: SNAPSHOT, lt: keyOf(oldest, SNAPSHOT) })
        await this.db.clear({ gte: PART, lt: keyOf(oldest, PART) })
      }),
    )
    this.pending = done.catch(() => undefined)
    return done
  }

  /** The heads of the snapshots taken at or before event `seq`, newest first. */
  async *snapshots(seq = Infinity): AsyncGenerator<RawRecord> {
    const upper = Number.isFinite(seq) ? keyOf(seq, SNAPSHOT) : SNAPSHOT + '~'
    for await (const [key, bytes] of this.db.iterator({ gte: SNAPSHOT, lte: upper, reverse: true })) {
      yield { seq: seqOf(key), bytes }
    }
  }

  /** The parts of the snapshot taken after event `seq`, in order. */
  async snapshotParts(seq: number): Promise<Uint8Array[]> {
    const parts: Uint8Array[] = []
    for await (const entries of this.chunks(partsOf(seq))) {
      for (const [, value] of entries) parts.push(value)
    }
    return parts
  }

  async close(): Promise<void> {
    try {
      await this.pending
      await this.db.close()
    } finally {
      for (const then of this.onClose.splice(0)) then()
    }
  }

  /** Calls `then` once the log is closed (what was held for as long as it is open, let go). */
  whenClosed(then: () => void): void {
    this.onClose.push(then)
  }
}

/** A failed write of the log at `path` as the error to report: the machine's, typed, when it is. */
function writeError(err: unknown, path: string): unknown {
  const store = dirname(path)
  if (isNoSpace(err)) return diskFullError(err, path, resumeHint(store))
  if ((err as { code?: unknown }).code !== 'LEVEL_IO_ERROR') return err
  return new JobtreeError('STORE_IO', `cannot write the event log in ${path}: ${(err as Error).message}; ${resumeHint(store, 'that is mended')}`, { path })
}

/** A failed read of the log at `path`: LevelDB finding a damaged table is the store's problem, said in one line, not a bug. */
function readError(err: unknown, path: string): unknown {
  if ((err as { code?: unknown }).code !== 'LEVEL_CORRUPTION') return err
  return new JobtreeError('LOG_CORRUPT', `the log in ${path} is damaged: ${oneLine(err)}`, { path })
}

/** The sequence number of the newest event stored in a segment of `db`, or undefined when it has no segment. */
async function lastSegmented(db: Level<string, Uint8Array>, path: string): Promise<number | undefined> {
  const [newest] = await db.iterator({ gte: SEGMENT, lt: SEGMENT + '~', reverse: true, limit: 1 }).all()
  if (newest === undefined) return undefined
  const first = seqOf(newest[0])
  return first + unframed(path, first, () => segmentCount(newest[1])) - 1
}

/** What `read` gets from the segment of first event `first`, or LOG_CORRUPT naming that segment. */
function unframed<T>(path: string, first: number, read: () => T): T {
  try {
    return read()
  } catch (err) {
    if (!(err instanceof UnreadableSegment)) throw err
    throw new JobtreeError('LOG_CORRUPT', `the log in ${path} is damaged: the segment of events from ${first} cannot be read: ${err.message}`, {
      path,
      seq: first,
    })
  }
}
