// Length-prefixed frames: a 4-byte big-endian length, then that many bytes.
// The leader's socket (socket/frames.ts) and the channel between the leader
// and its local workers (worker/channel.ts) both carry them; what the bytes
// hold is theirs to say.

const HEADER = 4

/** The largest length a header can state. */
export const MAX_FRAME = 2 ** 32 - 1

/** `payload` as one frame (copied: a codec's bytes may be a view into a buffer it reuses). */
export function frameOf(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length)
  out.writeUInt32BE(payload.length, 0)
  out.set(payload, HEADER)
  return out
}

/**
 * Splits a byte stream into the payloads of its frames, chunk by chunk: a
 * frame may arrive split across chunks, a chunk may hold many frames. A
 * frame split across chunks is joined once all of it is in hand, so that a
 * large one is copied once, not once per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = []
  private buffered = 0
  /** The length of the frame being read, once its header is in hand. */
  private length: number | undefined
  private refused: string | undefined

  /** `maxBytes`: a header stating a longer frame breaks the stream (see `error`). */
  constructor(private readonly maxBytes = MAX_FRAME) {}

  /** Why the stream is broken (a frame over the limit), after which nothing more is read; undefined while it is not. */
  get error(): string | undefined {
    return this.refused
  }

  /** Bytes of a frame begun but not finished: at the stream's end, a frame cut short. */
  get partial(): number {
    return this.buffered
  }

  /** The payloads `chunk` completes, in order (views into the stream's bytes); those before a frame over the limit, if one comes. */
  push(chunk: Buffer): Buffer[] {
    if (this.refused !== undefined || chunk.length === 0) return []
    this.chunks.push(chunk)
    this.buffered += chunk.length
    if (this.chunks.length > 1) {
      if (this.buffered < HEADER) return []
      this.length ??= this.check(this.peekLength())
      if (this.length === undefined || this.buffered < HEADER + this.length) return []
      this.chunks = [Buffer.concat(this.chunks, this.buffered)]
    }
    const data = this.chunks[0]
    const frames: Buffer[] = []
    let offset = 0
    this.length = undefined
    while (data.length - offset >= HEADER) {
      const length = this.check(data.readUInt32BE(offset))
      if (length === undefined) return frames
      const end = offset + HEADER + length
      if (end > data.length) {
        this.length = length
        break
      }
      frames.push(data.subarray(offset + HEADER, end))
      offset = end
    }
    this.chunks = offset === data.length ? [] : [data.subarray(offset)]
    this.buffered = data.length - offset
    return frames
  }

  /** A header's length, or undefined (and the stream broken) if it is over the limit. */
  private check(length: number): number | undefined {
    if (length <= this.maxBytes) return length
    this.refused = `a frame of ${length} bytes, over the limit of ${this.maxBytes}`
    this.chunks = []
    this.buffered = 0
    return undefined
  }

  /** The header of the pending frame, when its four bytes are split across chunks. */
  private peekLength(): number {
    const first = this.chunks[0]
    return (first.length >= HEADER ? first : Buffer.concat(this.chunks, HEADER)).readUInt32BE(0)
  }
}
