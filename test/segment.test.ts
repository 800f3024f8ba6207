import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeSegment, encodeSegment, SEGMENT_BYTES, SEGMENT_EVENTS, segmentCount, segmentRanges, UnreadableSegment } from '../src/store/segment.ts'

const bytesOf = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) % 256)

function eventsOf(segment: Uint8Array): Uint8Array[] {
  const decoded = decodeSegment(segment)
  return Array.from({ length: decoded.count }, (_, i) => decoded.event(i))
}

test('segment: events of any length come back as they went in, in order', () => {
  // Lengths around the varint's one-, two- and three-byte boundaries, and an empty event.
  const values = [0, 1, 127, 128, 16_383, 16_384, 200_000].map((length, i) => bytesOf(length, i))
  const segment = encodeSegment(values)
  assert.equal(segmentCount(segment), values.length)
  assert.deepEqual(eventsOf(segment), values)
  assert.deepEqual(eventsOf(encodeSegment([bytesOf(5, 9)])), [bytesOf(5, 9)])
})

test('segment: an event read from a segment is a view of it, not a copy', () => {
  const segment = encodeSegment([bytesOf(10, 1), bytesOf(20, 2)])
  assert.equal(decodeSegment(segment).event(1).buffer, segment.buffer)
})

test('segment: an append is split by event count and by size, in order, with no empty segment', () => {
  const small = Array.from({ length: 2 * SEGMENT_EVENTS + 500 }, (_, i) => bytesOf(10, i))
  assert.deepEqual(segmentRanges(small), [
    [0, SEGMENT_EVENTS],
    [SEGMENT_EVENTS, 2 * SEGMENT_EVENTS],
    [2 * SEGMENT_EVENTS, 2 * SEGMENT_EVENTS + 500],
  ])
  const large = Array.from({ length: 5 }, (_, i) => bytesOf(0.4 * SEGMENT_BYTES, i))
  assert.deepEqual(segmentRanges(large), [
    [0, 2],
    [2, 4],
    [4, 5],
  ])
  // An event larger than a segment's size gets a segment of its own.
  assert.deepEqual(segmentRanges([bytesOf(10, 0), bytesOf(3 * SEGMENT_BYTES, 1), bytesOf(10, 2)]), [
    [0, 1],
    [1, 2],
    [2, 3],
  ])
  assert.deepEqual(segmentRanges([]), [])
})

test('segment: framing that cannot be parsed is refused, saying why', () => {
  const good = encodeSegment([bytesOf(3, 1), bytesOf(300, 2)])
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty', new Uint8Array(0), /ends inside its event count/],
    ['a count of zero', Uint8Array.of(0), /holds no events/],
    ['cut inside its lengths', good.subarray(0, 3), /ends inside the length of an event/],
    ['cut inside its events', good.subarray(0, good.length - 1), /its 2 events take 303 bytes, but 302 follow its head/],
    ['with bytes after its last event', Uint8Array.of(...good, 0), /its 2 events take 303 bytes, but 304 follow its head/],
    ['a length of endless continuation bytes', Uint8Array.of(1, ...new Array<number>(12).fill(0xff)), /the length of an event is too long a number/],
  ]
  for (const [what, bytes, message] of cases) {
    assert.throws(
      () => decodeSegment(bytes),
      (err: unknown) => err instanceof UnreadableSegment && message.test(err.message),
      what,
    )
  }
  assert.throws(() => segmentCount(Uint8Array.of(0)), UnreadableSegment)
})
