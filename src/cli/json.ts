// JSON for machines. Values in the log are CBOR, which has more than JSON:
// big integers become strings, byte strings {"$base64": …}, so that a line
// always parses; undefined is left out, as JSON.stringify does.

export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, replacer, indent)
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') }
  if (value instanceof Map) return Object.fromEntries(value)
  if (value instanceof Set) return [...value]
  return value
}
