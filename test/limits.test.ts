// The size limit covers one value (an input, a return value), not what a job
// sends back in all: a job may add successors whose inputs together are far
// over it. (bench/RESULTS.md has a job adding 1,000,000 children.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { jobtree, readEvents, scratch } from './helpers/cli.ts'
import { MAX_VALUE_BYTES } from '../src/events/codec.ts'

test('limits: a job adding 40 children of half a MiB each (20 MiB in all) runs them all', async (t) => {
  const store = join(scratch(t), 'store')
  const r = await jobtree(['run', 'test/fixtures/limitTargets.ts', '--target', 'addsManyLarge', '--input', '{"n":40}', '--store', store, '--no-progress'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '40\n')
  const events = await readEvents(store)
  const created = events.filter((e) => e.type === 'JobCreated' && e.parent === 0)
  assert.equal(created.length, 40)
  const finished = events.filter((e) => e.type === 'JobFinished' && e.jobId > 0)
  assert.equal(finished.length, 40)
  assert.ok(finished.every((e) => e.type === 'JobFinished' && e.value === 512 * 2 ** 10))
  assert.ok(40 * 512 * 2 ** 10 > MAX_VALUE_BYTES)
})
