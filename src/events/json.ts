// The JSON form of values, for every command that prints one (run's result,
// status --json, replay --json, events, stats --json) and the leader's and
// status's summaries of an input. The log holds values in CBOR, which has
// more than JSON; each such value is written as an object of one key that
// names its kind, so nothing is lost or taken for something else:
//
//   {"$bigint": "12345678901234567890"}      a BigInt
//   {"$number": "NaN"}                        NaN, "Infinity", "-Infinity", "-0"
//   {"$undefined": true}                      undefined
//   {"$date": "2024-05-01T12:00:00.000Z"}     a Date ("invalid" for an invalid one)
//   {"$base64": "AQI="}                       bytes (a Uint8Array, Buffer, ArrayBuffer, DataView)
//   {"$Float64Array": [1.5, 2]}               another typed array, by its name
//   {"$map": [[key, value], …]}               a Map (keys of any kind)
//   {"$set": [value, …]}                      a Set
//   {"$regexp": "/a+/g"}, {"$error": {"name", "message"}}
//   {"$unshown": "a function"}                what cannot be shown (never in the log)
//
// A key of a plain object that starts with `$` is written with one more `$`
// in front (`{"$$ref": 1}` is the object {"$ref": 1}), so a tag is never data;
// a promise token stays {"$jobtree:rv": {"job": 4, "path": []}}, as stored.

import { RV_KEY } from './promise.ts'

export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, replacer, indent)
}

/**
 * Called by JSON.stringify for every value; `this` holds it. The value
 * JSON.stringify passes has been through toJSON already (a Date is a string
 * by then, a Buffer {type, data}), so the holder's own is looked at.
 */
function replacer(this: unknown, key: string, passed: unknown): unknown {
  const value = (this as Record<string, unknown>)[key]
  switch (typeof value) {
    case 'bigint':
      return { $bigint: value.toString() }
    case 'number':
      if (Object.is(value, -0)) return { $number: '-0' }
      return Number.isFinite(value) ? value : { $number: String(value) }
    case 'undefined':
      return { $undefined: true }
    case 'function':
    case 'symbol':
      return { $unshown: `a ${typeof value}` }
    case 'object':
      return value === null ? null : objectForm(value, passed)
    default:
      return value
  }
}

function objectForm(value: object, passed: unknown): unknown {
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString() }
  if (value instanceof Uint8Array || value instanceof DataView)
    return { $base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
  if (value instanceof ArrayBuffer) return { $base64: Buffer.from(value).toString('base64') }
  if (ArrayBuffer.isView(value)) return { [`$${value.constructor.name}`]: Array.from(value as unknown as ArrayLike<unknown>) }
  if (value instanceof Map) return { $map: [...value.entries()] }
  if (value instanceof Set) return { $set: [...value] }
  if (value instanceof RegExp) return { $regexp: String(value) }
  if (value instanceof Error) return { $error: { name: value.name, message: value.message } }
  if (Array.isArray(value)) return value
  const keys = Object.keys(value)
  if (!keys.some(escaped)) return passed
  return Object.fromEntries(keys.map((k) => [escaped(k) ? `$${k}` : k, (value as Record<string, unknown>)[k]]))
}

/** A promise token's key is a tag of its own, and stays as the log has it. */
function escaped(key: string): boolean {
  return key.startsWith('$') && key !== RV_KEY
}
