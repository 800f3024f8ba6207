// What a job writes reaches a terminal only escaped: its messages, its
// error and its log's tail, as the leader and `status` print them.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobtree, scratch } from './helpers/cli.ts'

// C0 controls but tab and newline, DEL, C1 controls.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/

test('control characters a job wrote are printed escaped by the leader and by status', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const run = await jobtree(['run', 'test/fixtures/escapeTargets.ts', '--target', 'hostile', '--store', store, '--no-progress'])
  assert.equal(run.code, 1, run.stderr)
  for (const [what, text] of [
    ['run', run.stdout + run.stderr],
    ['status', (await jobtree(['status', store])).stdout],
  ] as const) {
    assert.doesNotMatch(text, CONTROL, `${what} printed a control character`)
    assert.match(text, /\\x1b\[2J\\x1b\]0;owned\\x07\\r/, what)
    // The forged line stays inside the job's own line.
    assert.doesNotMatch(text, /^workflow finished: 99/m, what)
  }
  assert.match(run.stderr, /job 0 \(hostile\): message \\x1b/)
})
