import { Encoder } from 'cbor-x'
import type { JobEvent } from './catalogue.ts'
import { upcast } from './upcast.ts'

// CBOR without shared record structures: every stored event decodes on its
// own, so a log stays readable with no side table to lose.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true })

export function encodeEvent(event: JobEvent): Uint8Array {
  return cbor.encode(event)
}

export function decodeEvent(bytes: Uint8Array): JobEvent {
  return upcast(cbor.decode(bytes))
}

/** Encodes any value the way the log will, or throws naming what cannot be encoded. */
export function encodeValue(value: unknown): Uint8Array {
  return cbor.encode(value)
}

export function decodeValue(bytes: Uint8Array): unknown {
  return cbor.decode(bytes)
}
