// The programmatic API end to end: run() on real workers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { run, WorkflowFailedError } from '../src/index.ts'
import { flaky, halfBroken, sumOfSquares, withCommand } from './fixtures/apiWorkflow.ts'
import { returns, returnsThroughPromise, VALUES, type ValueName } from './fixtures/valueTargets.ts'
import { readEvents, scratch } from './helpers/cli.ts'
import { createdJobs } from '../src/events/jobsOf.ts'
import { openStore } from '../src/store/store.ts'
import { setTimeout as sleep } from 'node:timers/promises'

test('run: children, a follow-on and a nested promise give the root its value', async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  assert.equal(await run(sumOfSquares, 20, { store, logLevel: 'silent' }), 2870)
  const events = await readEvents(store)
  assert.ok(events.some((e) => e.type === 'MessageLogged' && e.text === 'added 20 children'))
  assert.equal(events.flatMap((e) => [...createdJobs(e)]).length, 22)
})

test('run: a leader that starts while a reader (status, events…) holds the store waits for it', async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  assert.equal(await run(sumOfSquares, 3, { store, logLevel: 'silent' }), 14)
  // A reader holds the log's lock as `jobtree status` does while it reads.
  const reader = await openStore(store)
  let resumed = false
  const restart = run(sumOfSquares, 3, { store, restart: true, logLevel: 'silent' }).then((value) => {
    resumed = true
    return value
  })
  await sleep(600)
  assert.equal(resumed, false, 'the leader waited for the reader')
  await reader.log.close()
  assert.equal(await restart, 14)
})

test('run: without a store, a temporary one is used and removed', async () => {
  assert.equal(await run(sumOfSquares, 3, { logLevel: 'silent' }), 14)
})

test('run: retries give a fresh, empty tempDir each attempt and remove it after', async () => {
  const value = await run(flaky, { failures: 2 }, { retryCount: 2, logLevel: 'silent' })
  assert.equal(value.attempt, 3)
  assert.equal(value.tempWasEmpty, true)
  assert.equal(existsSync(value.tempDir), false)
})

test("run: a command job's exit code reaches a follow-on through a promise", async (t) => {
  const dir = scratch(t)
  const value = await run(withCommand, join(dir, 'out.txt'), { logLevel: 'silent' })
  assert.deepEqual(value, { code: 0, content: 'hello from a command' })
})

test('run: a job that fails completely blocks only what depends on it', async (t) => {
  const dir = scratch(t)
  const marker = join(dir, 'marker')
  const store = join(dir, 'store')
  await assert.rejects(run(halfBroken, { marker }, { store, logLevel: 'silent' }), (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError)
    assert.match(err.message, /job 1 \(alwaysFails\) failed completely after 2 failed attempt\(s\): threw: this job always fails; 1 job\(s\) never ran/)
    return true
  })
  assert.equal(existsSync(marker), true, 'the sibling branch ran')
  assert.equal(existsSync(`${marker}.followOn`), false, 'the follow-on waiting for the failed child never ran')
  const events = await readEvents(store)
  assert.equal(events.filter((e) => e.type === 'JobFailed').length, 2, 'retryCount 1 means two attempts')
})

test('run: values beyond JSON come back as the target returned them, directly and through a promise', async () => {
  // Apart: an invalid Date, which assert never finds equal to another, and
  // -0, which the log's CBOR encoder writes as the integer 0 (README, "Values as JSON").
  const apart: ValueName[] = ['invalidDate', 'negativeZero']
  for (const name of (Object.keys(VALUES) as ValueName[]).filter((n) => !apart.includes(n))) {
    assert.deepStrictEqual(await run(returns, name, { logLevel: 'silent' }), VALUES[name], name)
  }
  assert.deepStrictEqual(await run(returnsThroughPromise, 'nested', { logLevel: 'silent' }), VALUES.nested)
  const invalid = await run(returns, 'invalidDate', { logLevel: 'silent' })
  assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()))
  assert.ok(Object.is(await run(returns, 'negativeZero', { logLevel: 'silent' }), 0))
})
