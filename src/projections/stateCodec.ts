import { Encoder } from 'cbor-x'
import { initialState, type JobTreeState } from './jobTreeState.ts'
import { PVec } from './pvec.ts'

// A compact, deterministic encoding of the job-tree state, for snapshots and
// for comparing states. Tries are written as their entries in index order, so
// two states that hold the same jobs encode to the same bytes whatever the
// shape of their tries; every other field is written as it is, in the
// state's own field order. The encoding comes in parts, a few thousand jobs
// each, so that a leader can write a snapshot a slice at a time between its
// other work. Within a part, repeated record shapes (one per job) are written
// once (cbor-x records, defined inline), which makes a snapshot about a third
// of the size of plain CBOR.

/**
 * Bump when `evolve` changes what it computes from the same events, even if
 * the state's fields stay the same: a snapshot from another format is
 * ignored, and the state is rebuilt from the log instead.
 */
export const STATE_FORMAT = 2

/** Trie entries per part. */
const ENTRIES_PER_PART = 2048

// A fresh encoder each time: one instance learns record shapes across calls
// and then writes later parts in terms of earlier ones.
const cbor = () => new Encoder({ useRecords: true, mapsAsObjects: true })

const FIELDS = Object.keys(initialState) as Array<keyof JobTreeState>

/** The first part: [format, fields], a trie field's value null; then [field, index, value, index, value, …] parts. */
type Header = [format: number, fields: Array<[name: string, value: unknown]>]
type TriePart = [name: string, ...flat: unknown[]]

/** The encoding of `state`, part by part; the state is immutable, so the parts may be taken at any pace. */
export function* stateParts(state: JobTreeState): Generator<Uint8Array> {
  // Copies, trimmed: an encoding is a view into the encoder's larger buffer.
  yield cbor().encode([STATE_FORMAT, FIELDS.map((name) => [name, state[name] instanceof PVec ? null : state[name]])] satisfies Header).slice()
  for (const name of FIELDS) {
    const trie = state[name]
    if (!(trie instanceof PVec)) continue
    let part: TriePart = [name]
    for (const [index, item] of (trie as PVec<unknown>).entries()) {
      part.push(index, item)
      if (part.length > 2 * ENTRIES_PER_PART) {
        yield cbor().encode(part).slice()
        part = [name]
      }
    }
    if (part.length > 1) yield cbor().encode(part).slice()
  }
}

/** The whole encoding at once: the parts as one CBOR array. */
export function encodeState(state: JobTreeState): Uint8Array {
  return joinParts([...stateParts(state)])
}

export function joinParts(parts: Uint8Array[]): Uint8Array {
  return cbor().encode(parts).slice()
}

/** The state `bytes` encode, or undefined when they were written in another format or for another shape of state. */
export function decodeState(bytes: Uint8Array): JobTreeState | undefined {
  const parts = cbor().decode(bytes) as unknown
  if (!Array.isArray(parts) || parts.length === 0 || !parts.every((p) => p instanceof Uint8Array)) return undefined
  const [format, fields] = cbor().decode(parts[0]) as Header
  if (format !== STATE_FORMAT || !Array.isArray(fields)) return undefined
  if (fields.length !== FIELDS.length || fields.some(([name], i) => name !== FIELDS[i])) return undefined
  const entries = new Map<string, Array<[number, unknown]>>()
  for (const part of parts.slice(1)) {
    const [name, ...flat] = cbor().decode(part) as TriePart
    let list = entries.get(name)
    if (list === undefined) entries.set(name, (list = []))
    for (let i = 0; i < flat.length; i += 2) list.push([flat[i] as number, flat[i + 1]])
  }
  const state: Record<string, unknown> = {}
  for (const [name, value] of fields) state[name] = value === null && initialState[name as keyof JobTreeState] instanceof PVec ? PVec.fromEntries(entries.get(name) ?? []) : value
  return state as unknown as JobTreeState
}
