import { Encoder } from 'cbor-x'
import { initialState, type JobTreeState } from './jobTreeState.ts'
import { PVec } from './pvec.ts'

// A compact, deterministic encoding of the job-tree state, for snapshots and
// for comparing states. Tries are written as their entries in index order, so
// two states that hold the same jobs encode to the same bytes whatever the
// shape of their tries; every other field is written as it is, in the
// state's own field order. The encoding comes in parts: the tries' entries,
// a few thousand a part, so that a leader can write a snapshot a slice at a
// time between its other work; then the other fields, with the number of
// parts of each trie, so that a reader may decode a trie only when it needs
// it. Within a part, repeated record shapes (one per job) are written once
// (cbor-x records, defined inline) and repeated values once (cbor-x packing),
// which makes a snapshot several times smaller than plain CBOR and quicker
// to decode (bench/figures.ts).

/**
 * Bump when `evolve` changes what it computes from the same events, even if
 * the state's fields stay the same: a snapshot from another format is
 * ignored, and the state is rebuilt from the log instead.
 */
export const STATE_FORMAT = 4

/** Trie entries per part. */
const ENTRIES_PER_PART = 2048

// A fresh encoder each time: one instance learns record shapes across calls
// and then writes later parts in terms of earlier ones.
const cbor = () => new Encoder({ useRecords: true, mapsAsObjects: true, pack: true })

/** A copy of `bytes`: an encoding is a view into the encoder's larger buffer, which Buffer's `slice` keeps whole. */
function trimmed(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}

const FIELDS = Object.keys(initialState) as Array<keyof JobTreeState>

/** Trie parts: [field, index, value, index, value, …]; the last part: [format, fields, trie parts], a trie field's value null. */
type TriePart = [name: string, ...flat: unknown[]]
type Header = [format: number, fields: Array<[name: string, value: unknown]>, parts: Array<[name: string, count: number]>]

/** The encoding of `state`, part by part; the state is immutable, so the parts may be taken at any pace. */
export function* stateParts(state: JobTreeState): Generator<Uint8Array> {
  const counts: Header[2] = []
  for (const name of FIELDS) {
    const trie = state[name]
    if (!(trie instanceof PVec)) continue
    let count = 0
    let part: TriePart = [name]
    for (const [index, item] of (trie as PVec<unknown>).entries()) {
      part.push(index, item)
      if (part.length > 2 * ENTRIES_PER_PART) {
        yield trimmed(cbor().encode(part))
        count += 1
        part = [name]
      }
    }
    if (part.length > 1) {
      yield trimmed(cbor().encode(part))
      count += 1
    }
    counts.push([name, count])
  }
  yield trimmed(cbor().encode([STATE_FORMAT, FIELDS.map((name) => [name, state[name] instanceof PVec ? null : state[name]]), counts] satisfies Header))
}

/** The whole encoding at once, to compare two states. */
export function encodeState(state: JobTreeState): Uint8Array {
  return Buffer.concat([...stateParts(state)])
}

/**
 * The state encoded in `parts`, or undefined when they were written in
 * another format or for another shape of state. Its tries are decoded when
 * first used, so the parts must be whole (a snapshot checks their digest).
 */
export function decodeState(parts: readonly Uint8Array[]): JobTreeState | undefined {
  if (parts.length === 0) return undefined
  const [format, fields, counts] = cbor().decode(parts[parts.length - 1]) as Header
  if (format !== STATE_FORMAT || !Array.isArray(fields) || !Array.isArray(counts)) return undefined
  if (fields.length !== FIELDS.length || fields.some(([name], i) => name !== FIELDS[i])) return undefined
  if (counts.reduce((sum, [, count]) => sum + count, 1) !== parts.length) return undefined
  const tries = new Map<string, readonly Uint8Array[]>()
  let next = 0
  for (const [name, count] of counts) {
    tries.set(name, parts.slice(next, next + count))
    next += count
  }
  const state: Record<string, unknown> = {}
  for (const [name, value] of fields) {
    const own = tries.get(name) ?? []
    state[name] =
      value === null && initialState[name as keyof JobTreeState] instanceof PVec
        ? PVec.lazy(() =>
            PVec.fromFlat(
              own.map((bytes) => cbor().decode(bytes) as TriePart),
              1,
            ),
          )
        : value
  }
  return state as unknown as JobTreeState
}
