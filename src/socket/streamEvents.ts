import type { Socket } from 'node:net'
import type { EventLog, RawRecord } from '../store/log.ts'
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

/** How long a reader that stopped reading may hold a stopping leader back. */
const GRACE_MS = 1000

export class EventStreams {
  private readonly open = new Set<Promise<void>>()
  private readonly stops = new Set<() => void>()
  private readonly sockets = new Set<Socket>()

  constructor(private readonly log: EventLog) {}

  /** Answers one request on `socket`; the socket is ended when the stream is. */
  serve(socket: Socket, req: EventsRequest): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    const done = this.stream(socket, req).catch(() => {
      socket.destroy()
    })
    this.open.add(done)
    void done.finally(() => this.open.delete(done))
  }

  /**
   * Ends every stream (each sends its end frame) and waits until none reads
   * the log; a reader that does not take its last frames is cut off soon after.
   */
  async close(): Promise<void> {
    for (const stop of this.stops) stop()
    await Promise.all(this.open)
    for (const socket of this.sockets) setTimeout(() => socket.destroy(), GRACE_MS).unref()
  }

  private async stream(socket: Socket, req: EventsRequest): Promise<void> {
    const queue: RawRecord[] = []
    // New events wake a stream waiting for them; only a stop ends a wait for the socket to drain.
    let wake: () => void = () => {}
    let unblock: () => void = () => {}
    let stopped = false
    const stop = () => {
      stopped = true
      wake()
      unblock()
    }
    socket.on('close', stop)
    this.stops.add(stop)
    const unsubscribe = this.log.onAppend((first, values) => {
      for (const [i, bytes] of values.entries()) queue.push({ seq: first + i, bytes })
      wake()
    })
    try {
      // Without --follow, the stream ends at the log's end as of the request.
      const to = req.follow ? (req.to ?? Infinity) : Math.min(req.to ?? Infinity, this.log.lastSeq)
      let sent = Math.max(1, req.from) - 1
      const send = async (frame: Frame) => {
        if (!socket.write(encodeFrame(frame)) && !stopped)
          await new Promise<void>((resolve) => {
            const drained = () => {
              socket.off('drain', drained)
              unblock = () => {}
              resolve()
            }
            unblock = drained
            socket.once('drain', drained)
          })
      }
      for await (const r of this.log.readRaw(sent + 1, to)) {
        if (stopped) break
        await send(['event', r.seq, r.bytes])
        sent = r.seq
      }
      while (!stopped && sent < to) {
        if (queue.length > MAX_QUEUED) {
          socket.end(encodeFrame(['error', `the reader fell more than ${MAX_QUEUED} events behind`]))
          return
        }
        const next = queue.shift()
        if (next === undefined) {
          await new Promise<void>((resolve) => (wake = resolve))
          continue
        }
        if (next.seq <= sent || next.seq > to) continue
        await send(['event', next.seq, next.bytes])
        sent = next.seq
      }
      socket.end(encodeFrame(['end', this.log.lastSeq]))
    } finally {
      unsubscribe()
      this.stops.delete(stop)
      socket.off('close', stop)
    }
  }
}
