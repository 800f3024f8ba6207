import { decodeValue, encodeValue } from '../events/codec.ts'

// Binary frames on the leader's socket, for answers that stream: each frame
// is a 4-byte big-endian length and a CBOR value. Events travel as the bytes
// the log stores, so the leader neither decodes nor re-encodes them.

export type Frame =
  /** One event: its sequence number and stored bytes. */
  | ['event', number, Uint8Array]
  /** The stream is over; the log's last sequence number at that moment. */
  | ['end', number]
  | ['error', string]

export function encodeFrame(frame: Frame): Buffer {
  const payload = encodeValue(frame)
  const out = Buffer.allocUnsafe(4 + payload.length)
  out.writeUInt32BE(payload.length, 0)
  out.set(payload, 4)
  return out
}

/** Splits a byte stream into frames. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0)

  /** The frames `chunk` completes. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    const frames: Frame[] = []
    let offset = 0
    while (this.pending.length - offset >= 4) {
      const length = this.pending.readUInt32BE(offset)
      if (this.pending.length - offset - 4 < length) break
      frames.push(decodeValue(this.pending.subarray(offset + 4, offset + 4 + length)) as Frame)
      offset += 4 + length
    }
    this.pending = this.pending.subarray(offset)
    return frames
  }
}
