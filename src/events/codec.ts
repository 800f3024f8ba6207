import { Encoder } from 'cbor-x'
import type { JobEvent } from './catalogue.ts'
import { pack, unpack } from './layout.ts'
import { upcast } from './upcast.ts'
import { formatSize } from '../sizes.ts'
import { JobtreeError, oneLine } from '../errors.ts'

// CBOR without shared record structures: every stored event decodes on its
// own, so a log stays readable with no side table to lose. The per-job
// events are stored in the compact positional form of layout.ts.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true })

export function encodeEvent(event: JobEvent): Uint8Array {
  return cbor.encode(pack(event) ?? event)
}

export function decodeEvent(bytes: Uint8Array): JobEvent {
  const raw: unknown = cbor.decode(bytes)
  return upcast(Array.isArray(raw) ? unpack(raw) : raw)
}

/** Encodes any value the way the log will, or throws naming what cannot be encoded. */
export function encodeValue(value: unknown): Uint8Array {
  return cbor.encode(value)
}

/**
 * The largest job input or return value the log takes. The log keeps every
 * value forever and the leader keeps the values promises may ask for, so a
 * bulk of data belongs in a file (ctx.globalDir), with its path as the value.
 */
export const MAX_VALUE_BYTES = 16 * 2 ** 20

/** Encodes `value` for the log, or throws a JobtreeError saying why `what` cannot be stored. */
export function encodeForLog(value: unknown, what: string): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = encodeValue(value)
  } catch (err) {
    throw new JobtreeError('NOT_ENCODABLE', `${what} cannot be stored: ${oneLine(err)}`)
  }
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new JobtreeError(
      'NOT_ENCODABLE',
      `${what} cannot be stored: it is ${formatSize(bytes.length)}, over the limit of ${formatSize(MAX_VALUE_BYTES)} (put large data in a file)`,
    )
  }
  return bytes
}

export function decodeValue(bytes: Uint8Array): unknown {
  return cbor.decode(bytes)
}
