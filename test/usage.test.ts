// What a newcomer meets first: `jobtree run` alone prints what run takes, the
// flags people bring from other tools name jobtree's own, and the progress
// line says what retries and failures there were.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { jobtree, scratch } from './helpers/cli.ts'

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

test('usage: the progress line counts failed and retried attempts, and calls jobs left behind a failure blocked', async (t) => {
  const dir = scratch(t)
  const run = (target: string) =>
    jobtree(['run', 'test/fixtures/progressTargets.ts', '--target', target, '--store', join(dir, target), '--retry-count', '3', '--log-level', 'warn'])
  const ok = await run('retried')
  assert.equal(ok.code, 0, ok.stderr)
  assert.match(ok.stderr.trim().split('\n').at(-1) ?? '', /^jobs: 4 done, 0 issued, 0 ready, 0 waiting, 0 failed; attempts: 6 failed, 6 retried$/)
  const failed = await run('blocked')
  assert.equal(failed.code, 1)
  assert.match(failed.stderr, /^jobs: 1 done, 0 issued, 0 ready, 1 blocked by a failure, 1 failed; attempts: 4 failed, 3 retried$/m)
})
