import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FrameReader, frameOf } from '../src/frames.ts'

const bytesOf = (length: number, seed: number) => Buffer.from(Uint8Array.from({ length }, (_, i) => (i * 31 + seed) % 256))

/** Three payloads (one empty, one of 70,000 bytes) as one stream. */
const payloads = [bytesOf(5, 1), bytesOf(0, 2), bytesOf(70_000, 3)]
const stream = Buffer.concat(payloads.map(frameOf))

/** `stream` cut at `cuts` (offsets), pushed chunk by chunk: the payloads completed by each push, and what is left partial at the end. */
function readIn(cuts: number[], maxBytes?: number): { frames: number[][]; payloads: Buffer[]; partial: number; error: string | undefined } {
  const reader = new FrameReader(maxBytes)
  const bounds = [0, ...cuts, stream.length]
  const frames: number[][] = []
  const read: Buffer[] = []
  for (let i = 0; i + 1 < bounds.length; i++) {
    const got = reader.push(stream.subarray(bounds[i], bounds[i + 1]))
    frames.push(got.map((p) => p.length))
    read.push(...got)
  }
  return { frames, payloads: read, partial: reader.partial, error: reader.error }
}

test('frames: a stream cut anywhere gives its payloads, in order, each once complete', () => {
  const cases: Array<{ cuts: number[]; frames: number[][] }> = [
    // Every frame in one chunk.
    { cuts: [], frames: [[5, 0, 70_000]] },
    // A header split across chunks (after 2 of its 4 bytes), then the rest.
    { cuts: [2], frames: [[], [5, 0, 70_000]] },
    // The first frame whole and half the second; the third split across four chunks, its header across two.
    { cuts: [11, 14, 20, 30_000, 60_000], frames: [[5], [0], [], [], [], [70_000]] },
    // One byte at a time through the first two frames.
    { cuts: Array.from({ length: 13 }, (_, i) => i + 1), frames: [...Array.from({ length: 8 }, () => []), [5], [], [], [], [0], [70_000]] },
  ]
  for (const { cuts, frames } of cases) {
    const got = readIn(cuts)
    assert.deepEqual(got.frames, frames, `cut at ${cuts.join(', ')}`)
    assert.deepEqual(got.payloads, payloads)
    assert.equal(got.partial, 0)
    assert.equal(got.error, undefined)
  }
})

test('frames: a stream that ends mid-frame leaves it partial, never read', () => {
  for (const end of [3, 10, 14, 100, stream.length - 1]) {
    const reader = new FrameReader()
    const got = reader.push(stream.subarray(0, end))
    assert.deepEqual(
      got.map((p) => p.length),
      end >= 9 ? (end >= 13 ? [5, 0] : [5]) : [],
    )
    assert.ok(reader.partial > 0, `ended at ${end}`)
  }
})

test('frames: a header over the limit breaks the stream at once, after the frames before it', () => {
  const limit = 10_000
  // In one chunk: the two small frames come out, then the stream is broken.
  const whole = readIn([], limit)
  assert.deepEqual(whole.frames, [[5, 0]])
  assert.equal(whole.error, 'a frame of 70000 bytes, over the limit of 10000')
  // Its header alone, split: broken as soon as the header is whole, before its bytes arrive; nothing more is read.
  const reader = new FrameReader(limit)
  assert.deepEqual(reader.push(stream.subarray(13, 15)), [])
  assert.equal(reader.error, undefined)
  assert.deepEqual(reader.push(stream.subarray(15, 20)), [])
  assert.match(reader.error ?? '', /over the limit/)
  assert.deepEqual(reader.push(frameOf(bytesOf(3, 0))), [])
  assert.equal(reader.partial, 0)
})
