import { decodeValue, encodeValue } from '../events/codec.ts'
import { frameOf } from '../frames.ts'

// Binary frames on the leader's socket, for answers that stream: each frame
// (src/frames.ts) holds a CBOR value. Events travel as the bytes the log
// stores, so the leader neither decodes nor re-encodes them.

export type Frame =
  /** One event: its sequence number and stored bytes. */
  | ['event', number, Uint8Array]
  /** The stream is over; the log's last sequence number at that moment. */
  | ['end', number]
  | ['error', string]

export function encodeFrame(frame: Frame): Buffer {
  return frameOf(encodeValue(frame))
}

export function decodeFrame(payload: Uint8Array): Frame {
  return decodeValue(payload) as Frame
}
