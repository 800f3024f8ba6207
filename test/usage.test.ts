// What a newcomer meets first: `jobtree run` alone prints what run takes, and
// the flags people bring from other tools name jobtree's own.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { jobtree } from './helpers/cli.ts'

test('usage: `jobtree run` alone prints its usage, not a complaint about one option', async () => {
  const r = await jobtree(['run'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /^Usage: jobtree run \[options\] <module>/)
  assert.match(r.stderr, /--store <dir>/)
  assert.match(r.stderr, /--restart/)
})

test('usage: --resume and --rerun say that jobtree resumes a run with --restart', async () => {
  for (const flag of ['--resume', '--rerun']) {
    const r = await jobtree(['run', 'workflow.ts', '--store', '/nonexistent/store', flag])
    assert.equal(r.code, 2)
    assert.equal(r.stderr.trim(), `jobtree: unknown option '${flag}' (to resume a run: --restart)`)
  }
})
