// A segment packs consecutive events of the log into one LevelDB value, so a
// synced append and a scan pay LevelDB's per-entry cost once per segment
// rather than once per event. Framing: a varint count, a varint length per
// event, then the events' bytes back to back. The lengths come first so that
// a reader starting mid-segment finds its event without touching the bytes
// before it.

/** Events in one segment at most: reading from the middle of the log decodes no more than this. */
export const SEGMENT_EVENTS = 1000

/** A segment is closed once it holds this many bytes (a single larger event gets a segment of its own). */
export const SEGMENT_BYTES = 2 ** 20

/** Framing that cannot be parsed; the message says what is wrong with it. */
export class UnreadableSegment extends Error {}

/** Splits `values` into the [start, end) ranges that become one segment each, in order. */
export function segmentRanges(values: readonly Uint8Array[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  let start = 0
  let bytes = 0
  values.forEach((value, i) => {
    if (i > start && (i - start === SEGMENT_EVENTS || bytes + value.length > SEGMENT_BYTES)) {
      ranges.push([start, i])
      start = i
      bytes = 0
    }
    bytes += value.length
  })
  if (values.length > 0) ranges.push([start, values.length])
  return ranges
}

function varintSize(n: number): number {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    size += 1
  }
  return size
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  out[pos++] = n
  return pos
}

/** The segment holding `values` (at least one), in order. */
export function encodeSegment(values: readonly Uint8Array[]): Uint8Array {
  let header = varintSize(values.length)
  let body = 0
  for (const value of values) {
    header += varintSize(value.length)
    body += value.length
  }
  const out = new Uint8Array(header + body)
  let pos = writeVarint(out, 0, values.length)
  for (const value of values) pos = writeVarint(out, pos, value.length)
  for (const value of values) {
    out.set(value, pos)
    pos += value.length
  }
  return out
}

/** Reads the framing's varints in order. */
class Head {
  pos = 0
  constructor(private readonly bytes: Uint8Array) {}

  varint(what: string): number {
    let n = 0
    let scale = 1
    for (;;) {
      if (this.pos >= this.bytes.length) throw new UnreadableSegment(`it ends inside ${what}`)
      const b = this.bytes[this.pos++]
      n += (b & 0x7f) * scale
      if (b < 0x80) return n
      scale *= 0x80
      // Past 7 bytes a number would exceed any size a value can have.
      if (scale > 2 ** 49) throw new UnreadableSegment(`${what} is too long a number`)
    }
  }

  count(): number {
    const count = this.varint('its event count')
    if (count === 0) throw new UnreadableSegment('it holds no events')
    return count
  }
}

/** How many events the segment holds, reading only its head. */
export function segmentCount(bytes: Uint8Array): number {
  return new Head(bytes).count()
}

/** A segment's events, read on demand: one read from the middle of the log wants a few of them. */
export interface Segment {
  readonly count: number
  /** The stored bytes of its event `i` (from 0), a view into the segment's bytes. */
  event(i: number): Uint8Array
}

/** Checks the framing of `bytes` and returns its events. */
export function decodeSegment(bytes: Uint8Array): Segment {
  const head = new Head(bytes)
  const count = head.count()
  // offsets[i] is where event i starts, counted from the end of the head; offsets[count] is where the last one ends.
  const offsets = new Float64Array(count + 1)
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i] + head.varint('the length of an event')
  const base = head.pos
  if (base + offsets[count] !== bytes.length) {
    throw new UnreadableSegment(`its ${count} events take ${offsets[count]} bytes, but ${bytes.length - base} follow its head`)
  }
  return { count, event: (i) => bytes.subarray(base + offsets[i], base + offsets[i + 1]) }
}
