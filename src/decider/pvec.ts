// A persistent vector keyed by small non-negative integers (job ids): a
// 32-way trie with path copying. `set` copies only the nodes on one path
// (at most log32(n) arrays of 32), so an update costs O(1) in practice
// whatever the number of jobs, and every older version stays valid. Immer
// treats instances as opaque values, so a state drafted by `produce` can hold
// one without the whole trie being drafted and copied.

const BITS = 5
const WIDTH = 1 << BITS
const MASK = WIDTH - 1

type Node<T> = ReadonlyArray<Node<T> | T | undefined>

/**
 * The nodes made during one batch of updates: nobody else holds them yet,
 * so later updates in the same batch change them in place instead of
 * copying them again (Clojure's transients). A parent adding 100,000
 * children then copies each leaf once, not 32 times.
 */
export type Batch = Set<object>

export class PVec<T> {
  private constructor(
    private root: Node<T>,
    /** Bits to shift for the root's index: 0 means the root holds values. */
    private shift: number,
    /** Builds the vector on first use (see `lazy`). */
    private pending?: () => PVec<T>,
  ) {}

  static empty<T>(): PVec<T> {
    return new PVec<T>([], 0)
  }

  /**
   * The vector `build` returns, built when first used: a snapshot's jobs
   * are decoded only if the reader needs them (a `status` after a clean stop
   * reads only the counts). To every reader it is the vector `build` returns.
   */
  static lazy<T>(build: () => PVec<T>): PVec<T> {
    return new PVec<T>([], 0, build)
  }

  private force(): void {
    const built = this.pending?.()
    if (built === undefined) return
    built.force()
    this.pending = undefined
    this.root = built.root
    this.shift = built.shift
  }

  /**
   * A vector of the entries in `flats`, each laid out as index, value,
   * index, value… from position `start` (any order), built in place: no path
   * is copied.
   */
  static fromFlat<T>(flats: ReadonlyArray<ReadonlyArray<unknown>>, start: number): PVec<T> {
    let root: Array<unknown> = []
    let shift = 0
    for (const flat of flats) {
      for (let i = start; i < flat.length; i += 2) {
        const index = flat[i] as number
        if (!Number.isInteger(index) || index < 0) throw new RangeError(`PVec index ${index}`)
        while (index >= capacity(shift)) {
          root = [root]
          shift += BITS
        }
        let node = root
        for (let s = shift; s > 0; s -= BITS) {
          const slot = (index >>> s) & MASK
          node[slot] ??= []
          node = node[slot] as Array<unknown>
        }
        node[index & MASK] = flat[i + 1]
      }
    }
    return new PVec<T>(root as Node<T>, shift)
  }

  get(index: number): T | undefined {
    if (this.pending !== undefined) this.force()
    if (index < 0 || index >= capacity(this.shift)) return undefined
    let node: Node<T> | undefined = this.root
    for (let shift = this.shift; shift > 0; shift -= BITS) {
      node = node[(index >>> shift) & MASK] as Node<T> | undefined
      if (node === undefined) return undefined
    }
    return node[index & MASK] as T | undefined
  }

  /** A vector with `value` at `index`; nodes made during `batch` are changed in place. */
  set(index: number, value: T | undefined, batch?: Batch): PVec<T> {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`PVec index ${index}`)
    if (this.pending !== undefined) this.force()
    let root = this.root
    let shift = this.shift
    while (index >= capacity(shift)) {
      if (value === undefined) return this
      root = [root]
      shift += BITS
    }
    return new PVec<T>(setIn(root, shift, index, value, batch), shift)
  }

  /** Every present entry in index order. */
  *entries(): Generator<[number, T]> {
    if (this.pending !== undefined) this.force()
    yield* walk(this.root, this.shift, 0)
  }
}

function setIn<T>(node: Node<T>, shift: number, index: number, value: T | undefined, batch: Batch | undefined): Node<T> {
  const slot = (index >>> shift) & MASK
  const copy = batch?.has(node) === true ? (node as Array<Node<T> | T | undefined>) : node.slice()
  batch?.add(copy)
  if (shift === 0) {
    copy[slot] = value
  } else {
    const child = (node[slot] as Node<T> | undefined) ?? []
    copy[slot] = setIn(child, shift - BITS, index, value, batch)
  }
  return copy
}

function* walk<T>(node: Node<T>, shift: number, base: number): Generator<[number, T]> {
  for (let slot = 0; slot < node.length; slot++) {
    const item = node[slot]
    if (item === undefined) continue
    const index = base + (slot << shift)
    if (shift === 0) yield [index, item as T]
    else yield* walk(item as Node<T>, shift - BITS, index)
  }
}

// By shift / BITS: Math.pow on every get showed in profiles.
const CAPACITY = Array.from({ length: 11 }, (_, level) => 2 ** ((level + 1) * BITS))

function capacity(shift: number): number {
  return CAPACITY[shift / BITS] ?? Infinity
}
