// `jobtree clean`: a store whose run is over, or whose leader died, goes
// whole. What it refuses (no store, not a store, a live leader) is in
// test/badInput.test.ts, with the store checked unchanged.
import assert from 'node:assert/strict'
import { existsSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { finished, jobtree, scratch, sleep, startJobtree } from './helpers/cli.ts'

const WORKFLOW = 'test/fixtures/auditWorkflow.ts'

test('clean removes a finished store, everything in it, and says what run it held', { timeout: 120_000 }, async (t) => {
  const store = join(scratch(t), 'store')
  const run = await jobtree(['run', WORKFLOW, '--target', 'tree', '--input', '3', '--store', store, '--no-progress'])
  assert.equal(run.code, 0, run.stderr)
  const r = await jobtree(['clean', store])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^removed store \S+\/store \(run [0-9a-f-]{36}, finished: 8 jobs succeeded\)\n$/)
  assert.equal(r.stderr, '')
  assert.equal(existsSync(store), false)
})

test('clean removes the store a SIGKILLed leader left, named through a link, and says how much was left to do', { timeout: 120_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const gate = join(dir, 'gate')
  const leader = startJobtree(['run', WORKFLOW, '--target', 'gated', '--input', JSON.stringify({ gate, leaves: 2 }), '--store', store, '--no-progress'])
  const done = finished(leader)
  t.after(() => {
    if (leader.exitCode === null && leader.signalCode === null) leader.kill('SIGKILL')
  })
  // Until the root and its leaves are done, and the gate's job runs.
  const underWay = async () => {
    const r = await jobtree(['status', store, '--json'])
    const counts = r.code === 0 ? (JSON.parse(r.stdout) as { counts: { succeeded: number; issued: number } }).counts : undefined
    return counts !== undefined && counts.succeeded === 3 && counts.issued === 1
  }
  for (let i = 0; !(await underWay()); i++) {
    if (leader.exitCode !== null || i > 300) assert.fail(`the run did not get under way: ${JSON.stringify(await done)}`)
    await sleep(100)
  }
  leader.kill('SIGKILL')
  assert.equal((await done).signal, 'SIGKILL')

  const link = join(dir, 'link')
  symlinkSync(store, link)
  const r = await jobtree(['clean', link])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^removed store \S+\/store \(run [0-9a-f-]{36}, unfinished: 1 of 4 jobs left\)\n$/)
  assert.equal(existsSync(store), false)
})
