// The channel between the leader and its local workers (src/worker/channel.ts)
// on real processes: a worker killed part-way through a frame, or one that
// writes a frame that is no message, is a dead worker whose attempt is
// retried, never a garbled value in the log nor a crash of the leader.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { FailureReason } from '../src/events/catalogue.ts'
import { createdJobs } from '../src/events/jobsOf.ts'
import { encodeEvent } from '../src/events/codec.ts'
import { jobtree, readEvents, scratch } from './helpers/cli.ts'

test('a frame cut short by its worker’s death, one that does not decode and one over the limit: each attempt died, each job retried and intact', async (t) => {
  const store = join(scratch(t), 'store')
  const r = await jobtree(['run', 'test/fixtures/channelTargets.ts', '--target', 'faults', '--store', store, '--no-progress', '--log-level', 'warn'])
  assert.equal(r.code, 0, r.stderr)
  const events = await readEvents(store)
  const faultOf = new Map<number, unknown>()
  for (const event of events) {
    for (const { jobId, spec } of createdJobs(event)) if (spec.work.kind === 'target' && spec.work.target === 'faulty') faultOf.set(jobId, spec.work.input)
  }
  const failed = new Map<unknown, FailureReason>()
  const values = new Map<unknown, unknown>()
  for (const event of events) {
    if (event.type === 'JobFailed') failed.set(faultOf.get(event.jobId), event.reason)
    if (event.type === 'JobFinished' && faultOf.has(event.jobId)) values.set(faultOf.get(event.jobId), [event.attempt, event.value])
  }
  assert.deepEqual(failed.get('cut'), { kind: 'workerDied', code: null, signal: 'SIGKILL' })
  const garbage = failed.get('garbage')
  assert.equal(garbage?.kind, 'workerDied')
  assert.match(garbage.kind === 'workerDied' ? (garbage.message ?? '') : '', /^it was killed for sending a frame that does not decode \(.+\)$/)
  const oversize = failed.get('oversize')
  assert.deepEqual(oversize, {
    kind: 'workerDied',
    code: null,
    signal: 'SIGKILL',
    message: 'it was killed for sending a frame of 4294967295 bytes, over the limit of 1073741824',
  })
  assert.deepEqual(
    values,
    new Map([
      ['cut', [2, 'intact cut']],
      ['garbage', [2, 'intact garbage']],
      ['oversize', [2, 'intact oversize']],
    ]),
  )
  assert.ok(!events.some((e) => Buffer.from(encodeEvent(e)).includes('GARBLED')), 'no part of the cut frame reached the log')
})
