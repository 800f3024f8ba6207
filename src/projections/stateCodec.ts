import { Encoder } from 'cbor-x'
import { initialState, type JobTreeState } from './jobTree.ts'
import { PVec } from './pvec.ts'

// A compact, deterministic encoding of the job-tree state, for snapshots and
// for comparing states. Tries are written as their entries in index order, so
// two states that hold the same jobs encode to the same bytes whatever the
// shape of their tries; every other field is written as it is, in the
// state's own field order. Repeated record shapes (one per job) are written
// once per snapshot (cbor-x records, defined inline), which makes a snapshot
// about a third of the size of plain CBOR.

/**
 * Bump when `evolve` changes what it computes from the same events, even if
 * the state's fields stay the same: a snapshot from another format is
 * ignored, and the state is rebuilt from the log instead.
 */
export const STATE_FORMAT = 1

// A fresh encoder each time: one instance learns record shapes across calls
// and then writes later snapshots in terms of earlier ones.
const cbor = () => new Encoder({ useRecords: true, mapsAsObjects: true })

type Field = [name: string, isTrie: boolean, value: unknown]

const FIELDS = Object.keys(initialState) as Array<keyof JobTreeState>

export function encodeState(state: JobTreeState): Uint8Array {
  const fields: Field[] = FIELDS.map((name) => {
    const value = state[name]
    if (!(value instanceof PVec)) return [name, false, value]
    const flat: unknown[] = []
    for (const [index, item] of (value as PVec<unknown>).entries()) flat.push(index, item)
    return [name, true, flat]
  })
  // A copy, trimmed: the encoding is a view into the encoder's larger buffer.
  return cbor().encode([STATE_FORMAT, fields]).slice()
}

/** The state `bytes` encode, or undefined when they were written in another format or for another shape of state. */
export function decodeState(bytes: Uint8Array): JobTreeState | undefined {
  const decoded = cbor().decode(bytes) as unknown
  if (!Array.isArray(decoded) || decoded[0] !== STATE_FORMAT || !Array.isArray(decoded[1])) return undefined
  const fields = decoded[1] as Field[]
  if (fields.length !== FIELDS.length || fields.some(([name], i) => name !== FIELDS[i])) return undefined
  const state: Record<string, unknown> = {}
  for (const [name, isTrie, value] of fields) {
    if (!isTrie) {
      state[name] = value
      continue
    }
    state[name] = PVec.fromEntries(pairs(value as unknown[]))
  }
  return state as unknown as JobTreeState
}

function* pairs(flat: unknown[]): Generator<[number, unknown]> {
  for (let i = 0; i < flat.length; i += 2) yield [flat[i] as number, flat[i + 1]]
}
