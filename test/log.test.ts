import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JobEvent } from '../src/events/catalogue.ts'
import { EventLog } from '../src/events/log.ts'
import { JobtreeError } from '../src/errors.ts'

const ev = (jobId: number): JobEvent => ({ type: 'JobRetried', v: 1, at: jobId, jobId })

test('log: appends in order, reads from any position, survives reopening', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-log-'))
  try {
    const log = await EventLog.open(join(dir, 'db'), true)
    assert.equal(log.lastSeq, 0)
    const appends = [log.append([ev(1), ev(2)]), log.append([ev(3)]), log.append([]), log.append([ev(4), ev(5), ev(6)])]
    assert.deepEqual(await Promise.all(appends), [2, 3, 3, 6])
    const all = []
    for await (const r of log.read()) all.push(r)
    assert.deepEqual(all.map((r) => r.seq), [1, 2, 3, 4, 5, 6])
    assert.deepEqual(all.map((r) => (r.event as { jobId: number }).jobId), [1, 2, 3, 4, 5, 6])
    const part = []
    for await (const r of log.read(3, 5)) part.push(r.seq)
    assert.deepEqual(part, [3, 4, 5])
    await log.close()
    const again = await EventLog.open(join(dir, 'db'), false)
    assert.equal(again.lastSeq, 6)
    assert.equal(await again.append([ev(7)]), 7)
    await again.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('log: a second opener is refused while the first holds it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-log-'))
  try {
    const log = await EventLog.open(join(dir, 'db'), true)
    await assert.rejects(EventLog.open(join(dir, 'db'), false), (err: unknown) => err instanceof JobtreeError && err.code === 'STORE_IN_USE')
    await log.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
