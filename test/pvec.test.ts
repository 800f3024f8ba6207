import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PVec } from '../src/decider/pvec.ts'

test('pvec: set and get across many levels, older versions unchanged', () => {
  let v = PVec.empty<number>()
  const versions: Array<PVec<number>> = []
  const ids = [0, 1, 31, 32, 33, 1023, 1024, 40_000, 1_048_575, 1_048_576, 5_000_000]
  for (const id of ids) {
    versions.push(v)
    v = v.set(id, id * 2)
  }
  for (const id of ids) assert.equal(v.get(id), id * 2)
  assert.equal(v.get(2), undefined)
  assert.equal(v.get(-1), undefined)
  assert.equal(v.get(2 ** 40), undefined)
  versions.forEach((old, i) => {
    for (const [j, id] of ids.entries()) assert.equal(old.get(id), j < i ? id * 2 : undefined)
  })
  assert.deepEqual(
    [...v.entries()].map(([k]) => k),
    ids,
  )
  const removed = v.set(1024, undefined)
  assert.equal(removed.get(1024), undefined)
  assert.equal(v.get(1024), 2048)
  assert.equal(removed.set(2 ** 35, undefined), removed)
})

test('pvec: agrees with a Map under random updates', () => {
  let seed = 7
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  let v = PVec.empty<number>()
  const m = new Map<number, number>()
  for (let i = 0; i < 20_000; i++) {
    const k = Math.floor(rnd() * 5000)
    if (rnd() < 0.3) {
      v = v.set(k, undefined)
      m.delete(k)
    } else {
      v = v.set(k, i)
      m.set(k, i)
    }
  }
  assert.deepEqual(
    [...v.entries()],
    [...m.entries()].sort((a, b) => a[0] - b[0]),
  )
})
