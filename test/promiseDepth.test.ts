// Promise chains deeper than the JS stack: each job returns its follow-on's
// rv() (the README's own idiom), so the root's value is at the end of a
// chain of tokens as long as the run; and a chain of follow-ons is a tree
// as deep. Nothing may depend on the stack's depth: not resolving, not the
// projection, not replay, stats, status or verify, not a restart.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { makeToken, resolveTokens, UnresolvedPromise } from '../src/events/promise.ts'
import { finished, jobtree, scratch, sleep, startJobtree } from './helpers/cli.ts'

const WORKFLOW = 'test/fixtures/deepChain.ts'

test('tokens chained 100,000 deep resolve, whole values, parts of values and values inside arrays alike', () => {
  const depth = 100_000
  const whole = new Map<number, unknown>()
  const parts = new Map<number, unknown>()
  const wrapped = new Map<number, unknown>()
  for (let i = 0; i < depth; i++) {
    whole.set(i, makeToken({ job: i + 1, path: [] }))
    parts.set(i, { next: makeToken({ job: i + 1, path: ['next'] }) })
    wrapped.set(i, [makeToken({ job: i + 1, path: [] })])
  }
  whole.set(depth, 'bottom')
  parts.set(depth, { next: 'bottom' })
  wrapped.set(depth, 'bottom')
  const lookup = (values: Map<number, unknown>) => (job: number) => (values.has(job) ? { value: values.get(job) } : undefined)
  assert.equal(resolveTokens(makeToken({ job: 0, path: [] }), lookup(whole)), 'bottom')
  assert.equal(resolveTokens(makeToken({ job: 0, path: ['next'] }), lookup(parts)), 'bottom')
  let at = resolveTokens(makeToken({ job: 0, path: [] }), lookup(wrapped))
  for (let i = 0; i < depth; i++) at = (at as unknown[])[0]
  assert.equal(at, 'bottom')
  // A producer not finished anywhere down the chain is named.
  whole.delete(depth)
  assert.throws(
    () => resolveTokens(makeToken({ job: 0, path: [] }), lookup(whole)),
    (err) => err instanceof UnresolvedPromise && err.producer === depth,
  )
})

test('a run whose root returns a promise 100,000 follow-ons deep finishes, and every command reads it', { timeout: 300_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const run = await jobtree(['run', WORKFLOW, '--target', 'step', '--input', '100000', '--store', store, '--no-progress', '--log-level', 'warn'])
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), '"the bottom"')
  const status = await jobtree(['status', store])
  assert.match(status.stdout, /100001 created: 100001 succeeded/)
  const stats = await jobtree(['stats', store])
  assert.equal(stats.code, 0, stats.stderr)
  const replay = await jobtree(['replay', store])
  assert.equal(replay.code, 0, replay.stderr)
  assert.match(replay.stdout, /\[depth 100000\] 100000 step \(follow-on\) +done/)
  const verify = await jobtree(['replay', store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  const job = await jobtree(['replay', store, '--job', '100000'])
  assert.equal(job.code, 0, job.stderr)
  assert.match(job.stdout, /JobFinished +job 100000 \(step\) attempt 1 succeeded/)
})

for (const chaining of [true, false]) {
  const links = chaining ? 20_000 : 4_000
  test(`a promise chain ${links} deep with its leader SIGKILLed during it completes after restarts (chaining ${chaining ? 'on' : 'off'})`, {
    timeout: 300_000,
  }, async (t) => {
    const dir = scratch(t)
    const store = join(dir, 'store')
    const initial = [
      'run',
      WORKFLOW,
      '--target',
      'step',
      '--input',
      String(links),
      '--store',
      store,
      '--no-progress',
      '--log-level',
      'warn',
      ...(chaining ? [] : ['--no-chaining']),
    ]
    const args = () => (existsSync(join(store, 'jobtree.json')) ? [...initial, '--restart'] : initial)
    let kills = 0
    for (let tries = 0; kills < 3 && tries < 10; tries++) {
      const child = startJobtree(args())
      const result = finished(child)
      await sleep(700 + 400 * tries + Math.floor(Math.random() * 500))
      if (child.exitCode === null && child.kill('SIGKILL') && (await result).signal === 'SIGKILL') kills += 1
      assert.notEqual((await result).code, 0, 'the chain finished before the kills were done: make it longer')
    }
    assert.equal(kills, 3)
    const last = await finished(startJobtree(args()))
    assert.equal(last.code, 0, last.stderr)
    assert.equal(last.stdout.trim(), '"the bottom"')
    const verify = await jobtree(['replay', store, '--verify'])
    assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  })
}
