import type { Socket } from 'node:net'
import type { EventLog, RawRecord } from '../events/log.ts'
import { encodeFrame, type Frame } from './frames.ts'

// The leader's side of `events`, `stats` and `replay` on a live store: it
// streams the log's events from a position, as stored, then (when asked to
// follow) each batch as soon as it is synced. It subscribes before reading
// the backlog, so no batch falls between the two; a sequence number is never
// sent twice.

export interface EventsRequest {
  request: 'events'
  from: number
  /** Last event wanted; null: up to the end (or forever, when following). */
  to: number | null
  follow: boolean
}

/** Events a follower may fall behind by before the leader drops it. */
const MAX_QUEUED = 100_000

export class EventStreams {
  private readonly open = new Set<Promise<void>>()
  private readonly stops = new Set<() => void>()

  constructor(private readonly log: EventLog) {}

  /** Answers one request on `socket`; the socket is ended when the stream is. */
  serve(socket: Socket, req: EventsRequest): void {
    const done = this.stream(socket, req).catch(() => {
      socket.destroy()
    })
    this.open.add(done)
    void done.finally(() => this.open.delete(done))
  }

  /** Ends every stream (they send their end frame) and waits for them to stop reading the log. */
  async close(): Promise<void> {
    for (const stop of this.stops) stop()
    await Promise.all(this.open)
  }

  private async stream(socket: Socket, req: EventsRequest): Promise<void> {
    const queue: RawRecord[] = []
    let wake: () => void = () => {}
    let stopped = false
    const stop = () => {
      stopped = true
      wake()
    }
    socket.on('close', stop)
    this.stops.add(stop)
    const unsubscribe = this.log.onAppend((first, values) => {
      values.forEach((bytes, i) => queue.push({ seq: first + i, bytes }))
      wake()
    })
    try {
      // Without --follow, the stream ends at the log's end as of the request.
      const to = req.follow ? (req.to ?? Infinity) : Math.min(req.to ?? Infinity, this.log.lastSeq)
      let sent = Math.max(1, req.from) - 1
      const send = async (frame: Frame) => {
        if (!socket.write(encodeFrame(frame))) await new Promise<void>((resolve) => { wake = resolve; socket.once('drain', resolve) })
      }
      for await (const r of this.log.readRaw(sent + 1, to)) {
        if (stopped) break
        await send(['event', r.seq, r.bytes])
        sent = r.seq
      }
      while (!stopped && sent < to) {
        if (queue.length > MAX_QUEUED) return void (await send(['error', `the reader fell more than ${MAX_QUEUED} events behind`]))
        const next = queue.shift()
        if (next === undefined) {
          await new Promise<void>((resolve) => (wake = resolve))
          continue
        }
        if (next.seq <= sent || next.seq > to) continue
        await send(['event', next.seq, next.bytes])
        sent = next.seq
      }
      if (!socket.destroyed) await send(['end', this.log.lastSeq])
      socket.end()
    } finally {
      unsubscribe()
      this.stops.delete(stop)
      socket.off('close', stop)
    }
  }
}
