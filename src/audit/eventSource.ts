import type { Recorded } from '../events/catalogue.ts'
import type { EventLog } from '../store/log.ts'
import { JobtreeError } from '../errors.ts'
import { leaderEvents, noLeaderAnswers, type StreamEnd } from '../socket/readEvents.ts'
import { openStore, storePaths, type StorePaths } from '../store/store.ts'

// Where `events`, `stats` and `replay` read a store's log: from the LevelDB
// when no leader holds it (kept open until `close`), or, while a leader runs,
// from the leader over its socket. A leader that stops in the middle of a
// read hands over to the log, which it has then released.

export class EventSource {
  private constructor(
    readonly paths: StorePaths,
    private log: EventLog | undefined,
  ) {}

  static async open(dir: string): Promise<EventSource> {
    const paths = storePaths(dir)
    return new EventSource(paths, await tryOpen(paths))
  }

  /** The events of a log this process holds (a command that also writes to it). */
  static of(paths: StorePaths, log: EventLog): EventSource {
    return new EventSource(paths, log)
  }

  /** True while the events come from a running leader. */
  get live(): boolean {
    return this.log === undefined
  }

  /** The newest event's sequence number. */
  async lastSeq(): Promise<number> {
    if (this.log !== undefined) return this.log.lastSeq
    // Asking for the events past any there can be: the stream is only its end, which names the last event.
    const stream = leaderEvents(this.paths, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, false)
    let item: IteratorResult<Recorded, StreamEnd>
    try {
      do item = await stream.next()
      while (!item.done)
    } catch (err) {
      // The leader stopped between our finding the log locked and asking it.
      if (!noLeaderAnswers(err)) throw err
      item = { done: true, value: { lastSeq: undefined } }
    }
    if (item.value.lastSeq !== undefined) return item.value.lastSeq
    await this.fallBack()
    return this.lastSeq()
  }

  /** Events `from` .. `to` (inclusive), in order. */
  async *events(from = 1, to = Infinity): AsyncGenerator<Recorded> {
    let next = Math.max(1, from)
    let handovers = 0
    while (next <= to) {
      if (this.log !== undefined) {
        yield* this.log.read(next, to)
        return
      }
      const stream = leaderEvents(this.paths, next, to, false)
      let item: IteratorResult<Recorded, StreamEnd>
      try {
        item = await stream.next()
      } catch (err) {
        if (!noLeaderAnswers(err)) throw err
        item = { done: true, value: { lastSeq: undefined } }
      }
      for (; !item.done; item = await stream.next()) {
        yield item.value
        next = item.value.seq + 1
      }
      const { lastSeq } = item.value
      if (lastSeq !== undefined) {
        // The leader sent all it held when asked: a read to the end is a read
        // to the end as of then (a busy leader has appended more since, which
        // is not a stream cut short); a read to a later event asks again.
        if (to === Infinity || next > Math.min(to, lastSeq)) return
        continue
      }
      // The leader stopped before sending everything: read the rest from the log.
      if (handovers >= 3)
        throw new JobtreeError('STORE_IN_USE', `the leader of ${this.paths.root} kept stopping while its events were read: try again`, {
          store: this.paths.root,
        })
      handovers += 1
      await this.fallBack()
    }
  }

  async close(): Promise<void> {
    await this.log?.close()
    this.log = undefined
  }

  private async fallBack(): Promise<void> {
    // The stopping leader releases the log moments after its socket.
    for (let i = 0; i < 50 && this.log === undefined; i++) {
      this.log = await tryOpen(this.paths)
      if (this.log === undefined) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    if (this.log === undefined)
      throw new JobtreeError('STORE_IN_USE', `the leader of ${this.paths.root} stopped answering but still holds the log`, { store: this.paths.root })
  }
}

/** The store's log, or undefined while a leader holds it. */
async function tryOpen(paths: StorePaths): Promise<EventLog | undefined> {
  try {
    return (await openStore(paths.root)).log
  } catch (err) {
    if (err instanceof JobtreeError && err.code === 'STORE_IN_USE') return undefined
    throw err
  }
}
