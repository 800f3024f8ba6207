import { Level } from 'level'
import type { JobEvent, Recorded } from './catalogue.ts'
import { decodeEvent, encodeEvent } from './codec.ts'
import { UnreadableEvent } from './upcast.ts'
import { JobtreeError } from '../errors.ts'

// The append-only event log on LevelDB. Keys are `e` + the sequence number in
// fixed-width hex, so LevelDB's byte order is the log's order. Every append is
// one atomic, synced batch: after `append` resolves, the events survive a
// crash or a power loss; before, none of them is visible after a restart.

const PREFIX = 'e'
const WIDTH = 16
const READ_CHUNK = 1000

function keyOf(seq: number): string {
  return PREFIX + seq.toString(16).padStart(WIDTH, '0')
}

function seqOf(key: string): number {
  return parseInt(key.slice(PREFIX.length), 16)
}

export class EventLog {
  private last: number
  private pending: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly db: Level<string, Uint8Array>,
    readonly path: string,
    last: number,
  ) {
    this.last = last
  }

  /** Opens the LevelDB at `path`; fails with STORE_IN_USE while another process holds it. */
  static async open(path: string, create: boolean): Promise<EventLog> {
    const db = new Level<string, Uint8Array>(path, {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
      createIfMissing: create,
    })
    try {
      await db.open()
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new JobtreeError('STORE_IN_USE', `store is in use by another jobtree process (${path} is locked)`, { path })
      }
      throw new JobtreeError('STORE_INVALID', `cannot open the event log at ${path}: ${cause?.message ?? (err as Error).message}`, { path })
    }
    let last = 0
    for await (const key of db.keys({ gte: PREFIX, lt: PREFIX + '~', reverse: true, limit: 1 })) last = seqOf(key)
    return new EventLog(db, path, last)
  }

  /** The sequence number of the newest event (0 for an empty log). */
  get lastSeq(): number {
    return this.last
  }

  /**
   * Appends events as one atomic, synced batch and resolves with the sequence
   * number of the last one. Appends are applied in call order.
   */
  append(events: readonly JobEvent[]): Promise<number> {
    if (events.length === 0) return Promise.resolve(this.last)
    const first = this.last + 1
    this.last += events.length
    const ops = events.map((event, i) => ({ type: 'put' as const, key: keyOf(first + i), value: encodeEvent(event) }))
    const done = this.pending.then(() => this.db.batch(ops, { sync: true } as object)).then(() => first + events.length - 1)
    this.pending = done.catch(() => undefined)
    return done
  }

  /** Reads events in order from `from` (inclusive) up to `to` (inclusive). */
  async *read(from = 1, to = Infinity): AsyncGenerator<Recorded> {
    const upper = Number.isFinite(to) ? keyOf(to) : PREFIX + '~'
    const it = this.db.iterator({ gte: keyOf(Math.max(1, from)), lte: upper })
    try {
      for (;;) {
        const entries = await it.nextv(READ_CHUNK)
        if (entries.length === 0) return
        for (const [key, value] of entries) {
          const seq = seqOf(key)
          let event: JobEvent
          try {
            event = decodeEvent(value)
          } catch (err) {
            const why = err instanceof UnreadableEvent ? err.message : `undecodable bytes (${(err as Error).message})`
            throw new JobtreeError('LOG_CORRUPT', `event ${seq} in ${this.path} cannot be read: ${why}`, { seq, path: this.path })
          }
          yield { seq, event }
        }
      }
    } finally {
      await it.close()
    }
  }

  async close(): Promise<void> {
    await this.pending
    await this.db.close()
  }
}
