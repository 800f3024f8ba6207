// Schema evolution: a log written by jobtree 0.1 (every event at version 1)
// is read, replayed, verified and reported forever after. The fixture holds
// the bytes the log stored, one event a line ({"seq", "cbor": base64}); it
// was recorded once from a run of test/fixtures/auditWorkflow.ts's
// `everything` target (retry backoff 0.1 s): a first leader stopped by
// `jobtree kill` after a job had failed completely, then a restart that
// revived it and finished. Never regenerate it: when an event's shape
// changes, upcast.ts must keep reading these bytes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JobEvent } from '../src/events/catalogue.ts'
import { createStore, openStore } from '../src/store/store.ts'
import { replay } from '../src/store/replay.ts'
import { valueOf } from '../src/decider/jobTree.ts'
import { jobtree, readEvents, scratch } from './helpers/cli.ts'

const FIXTURE = new URL('./fixtures/log-v1.jsonl', import.meta.url)

async function loadFixture(dir: string): Promise<string> {
  const values = readFileSync(FIXTURE, 'utf8')
    .trim()
    .split('\n')
    .map((line, i) => {
      const { seq, cbor } = JSON.parse(line) as { seq: number; cbor: string }
      assert.equal(seq, i + 1)
      return new Uint8Array(Buffer.from(cbor, 'base64'))
    })
  const store = await createStore(join(dir, 'store'))
  await store.log.appendEncoded(values)
  await store.log.close()
  return store.paths.root
}

const TYPES = [
  'WorkflowStarted',
  'JobCreated',
  'JobIssued',
  'MessageLogged',
  'JobFinished',
  'JobCreated',
  'JobCreated',
  'JobCreated',
  'JobCreated',
  'JobCreated',
  'JobIssued',
  'JobIssued',
  'JobIssued',
  'JobIssued',
  'JobFinished',
  'JobFailed',
  'JobRetried',
  'JobFailed',
  'JobFailedCompletely',
  'JobBackoffElapsed',
  'JobIssued',
  'MessageLogged',
  'JobFinished',
  'JobCreated',
  'JobIssued',
  'JobFinished',
  'WorkflowInterrupted',
  'JobAbandoned',
  'WorkflowResumed',
  'JobRevived',
  'JobIssued',
  'JobIssued',
  'JobFinished',
  'JobFinished',
  'JobIssued',
  'JobFinished',
  'WorkflowFinished',
]

test('schema: a version 1 log replays to the state it recorded', async (t) => {
  const dir = scratch(t)
  const root = await loadFixture(dir)
  const events: JobEvent[] = await readEvents(root)
  assert.deepEqual(
    events.map((e) => e.type),
    TYPES,
  )
  assert.ok(events.every((e) => e.v === 1))
  const retried = events[16]
  assert.ok(retried.type === 'JobRetried' && retried.notBefore === retried.at + 100)
  assert.deepEqual(events[26], { ...events[26], type: 'WorkflowInterrupted', reason: 'jobtree kill' })

  const store = await openStore(root)
  try {
    const state = await replay(store.log)
    assert.deepEqual(state.counts, { total: 7, waiting: 0, ready: 0, issued: 0, succeeded: 7, failed: 0 })
    assert.equal(state.finished?.ok, true)
    assert.equal(state.epoch, 2)
    assert.equal(state.target, 'everything')
    assert.deepEqual(valueOf(state, 5), { value: 1080 })
  } finally {
    await store.log.close()
  }
})

test('schema: a version 1 log verifies, and its stats, history and events read as recorded', async (t) => {
  const dir = scratch(t)
  const root = await loadFixture(dir)
  const verify = await jobtree(['replay', root, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  assert.match(verify.stdout, /^verified: 37 events from 19 inputs/)

  const stats = JSON.parse((await jobtree(['stats', root, '--json'])).stdout) as { totals: Record<string, number>; lost: Record<string, number> }
  assert.deepEqual(stats.totals, {
    ...stats.totals,
    jobs: 7,
    succeeded: 7,
    failed: 0,
    attempts: 10,
    failedAttempts: 2,
    retries: 1,
    abandonedAttempts: 1,
    leaders: 2,
  })
  assert.deepEqual(stats.lost, { ...stats.lost, failedAttempts: 2, abandonedAttempts: 1 })

  const history = JSON.parse((await jobtree(['replay', root, '--job', '3', '--json'])).stdout) as {
    events: Array<{ type: string }>
    job: { state: string; attempts: number }
  }
  assert.deepEqual(
    history.events.map((e) => e.type),
    ['JobCreated', 'JobIssued', 'JobFailed', 'JobFailedCompletely', 'JobRevived', 'JobIssued', 'JobFinished'],
  )
  assert.deepEqual(history.job, { ...history.job, state: 'done', attempts: 2 })

  // When the first leader stopped: the failed job waits for a restart, the abandoned one is queued again.
  const stopped = JSON.parse((await jobtree(['replay', root, '--to', '28', '--json'])).stdout) as { jobs: Array<{ id: number; state: string }> }
  assert.deepEqual(Object.fromEntries(stopped.jobs.map((j) => [j.id, j.state])), {
    0: 'succeeded',
    1: 'done',
    2: 'done',
    6: 'done',
    3: 'failed',
    4: 'ready',
    5: 'waiting',
  })
})
