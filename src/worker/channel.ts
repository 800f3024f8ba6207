import type { Socket } from 'node:net'
import { decodeValue, encodeValue } from '../events/codec.ts'
import { FrameReader, frameOf } from '../frames.ts'

// The channel between the leader and a local worker: a pipe on the worker's
// fd 3 carrying length-prefixed frames (src/frames.ts) of CBOR, in place of
// Node's IPC channel, whose serialization and one write per message were
// over a quarter of the leader's work (bench/RESULTS.md). Messages sent in
// one turn of the event loop travel in one write.

/** The worker's end of the channel. */
export const CHANNEL_FD = 3

/**
 * The longest frame taken: one job's result holds its successors, which may
 * be a million specs (~100 MiB), but a header stating more than this is not
 * a message but a stream gone wrong.
 */
export const MAX_FRAME_BYTES = 2 ** 30

export interface ChannelListener<In> {
  message(message: In): void
  /**
   * Nothing more will be read: the other side closed its end (`why`
   * undefined, even with a frame cut short: that side died while writing
   * it), or sent what is not a message (`why` says what).
   */
  ended(why: string | undefined): void
}

export class Channel<In, Out> {
  private readonly reader = new FrameReader(MAX_FRAME_BYTES)
  private unsent: Buffer[] = []
  private listener: ChannelListener<In> | undefined
  /** What arrived before anyone listened (a worker forked early, before its pool). */
  private held: In[] = []
  private endedWhy: string | undefined | null = null

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk))
    socket.on('end', () => this.end(undefined))
    // A write to a side that is gone: its end, or its process's exit, says what matters.
    socket.on('error', () => this.end(undefined))
  }

  /** Hands what arrived so far, and all that arrives from now on, to `listener`. */
  listen(listener: ChannelListener<In>): void {
    this.listener = listener
    const held = this.held
    this.held = []
    for (const message of held) listener.message(message)
    if (this.endedWhy !== null) listener.ended(this.endedWhy)
  }

  /** Queues `message`, written with the others sent in this turn of the event loop. */
  send(message: Out): void {
    if (this.unsent.length === 0) queueMicrotask(() => this.flush())
    // Framed at once: the codec's bytes are reused by its next encode.
    this.unsent.push(frameOf(encodeValue(message)))
  }

  /** Writes what is queued now; `then` once it is written (or cannot be). */
  flush(then?: () => void): void {
    const frames = this.unsent
    this.unsent = []
    if (frames.length === 0 || this.socket.destroyed || !this.socket.writable) {
      then?.()
      return
    }
    this.socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames), then === undefined ? undefined : () => then())
  }

  /** Closes this side: the other reads its end. */
  close(): void {
    this.flush()
    this.socket.end()
  }

  private read(chunk: Buffer): void {
    if (this.endedWhy !== null) return
    for (const payload of this.reader.push(chunk)) {
      let message: unknown
      try {
        message = decodeValue(payload)
      } catch (err) {
        this.end(`a frame that does not decode (${(err as Error).message})`)
        return
      }
      if (typeof (message as { type?: unknown } | null)?.type !== 'string') {
        this.end('a frame that holds no message')
        return
      }
      this.deliver(message as In)
      if (this.endedWhy !== null) return
    }
    if (this.reader.error !== undefined) this.end(this.reader.error)
  }

  private deliver(message: In): void {
    if (this.listener === undefined) this.held.push(message)
    else this.listener.message(message)
  }

  private end(why: string | undefined): void {
    if (this.endedWhy !== null) return
    this.endedWhy = why
    this.unsent = []
    if (why !== undefined) this.socket.destroy()
    this.listener?.ended(why)
  }
}
