// A job's log: it keeps the newest bytes a job wrote, stays bounded while
// the job runs, and holds what the job wrote around the console too.
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { finished, jobtree, scratch, sleep, startJobtree } from './helpers/cli.ts'
import { isMounted, mountTmpfs, unmount } from './helpers/disk.ts'

const MiB = 2 ** 20
const WORKFLOW = 'test/fixtures/logTargets.ts'
// The default bound (local batch system): 1 MiB kept, at most twice that on disk while the job runs.
const BOUND = MiB

function run(target: string, input: unknown, store: string) {
  return startJobtree(['run', WORKFLOW, '--target', target, '--input', JSON.stringify(input), '--store', store, '--no-progress', '--log-level', 'warn'])
}

/** Runs to the end while sampling the size of `log`; returns the run's result and the largest size seen. */
async function sampled(target: string, input: unknown, store: string, log: string) {
  const child = run(target, input, store)
  const done = finished(child)
  let largest = 0
  while (child.exitCode === null) {
    try {
      largest = Math.max(largest, statSync(log).size)
    } catch {
      // Not written yet.
    }
    await sleep(5)
  }
  return { result: await done, largest }
}

test('a log of long lines keeps its newest bytes, cut mid-line, never nothing', { timeout: 120_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const r = await jobtree(['run', WORKFLOW, '--target', 'longLines', '--input', JSON.stringify({ lines: 200, bytes: MiB }), '--store', store, '--no-progress'])
  assert.equal(r.code, 0, r.stderr)
  const log = readFileSync(join(store, 'logs', '0.log'), 'utf8')
  const [note, ...rest] = log.split('\n')
  assert.match(note, /^\[jobtree: log truncated: kept its last (\d+) of (\d+) bytes\]$/)
  const kept = Number(/kept its last (\d+)/.exec(note)?.[1])
  assert.ok(kept > BOUND / 2 && kept <= BOUND, `kept ${kept} bytes`)
  assert.ok(Number(/of (\d+) bytes/.exec(note)?.[1]) > 200 * MiB)
  assert.ok(log.endsWith('THE END\n'), 'the newest bytes are kept')
  assert.equal(rest.join('\n').length, kept)
})

test('a job printing 200 MB never has more than twice the bound on disk while it runs', { timeout: 180_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const { result, largest } = await sampled('flood', 200, store, join(store, 'logs', '0.log'))
  assert.equal(result.code, 0, result.stderr)
  assert.ok(largest <= 2 * BOUND + 64 * 1024 + 4096, `the log reached ${largest} bytes while the job ran`)
  const log = readFileSync(join(store, 'logs', '0.log'), 'utf8')
  assert.ok(log.length <= BOUND + 200)
  assert.ok(log.endsWith('flood done\n'))
})

test('a command printing 200 MB is bounded too, and its last lines are kept', { timeout: 180_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const { result, largest } = await sampled('commandFlood', 200, store, join(store, 'logs', '1.log'))
  assert.equal(result.code, 0, result.stderr)
  assert.ok(largest <= 2 * BOUND + 256 * 1024, `the command's log reached ${largest} bytes while it ran`)
  const log = readFileSync(join(store, 'logs', '1.log'), 'utf8')
  assert.ok(log.length <= BOUND + 200)
  assert.ok(log.endsWith('command done\n'), log.slice(-100))
})

test("what a target writes straight to descriptors 1 and 2 is in its log, not on the leader's output", { timeout: 60_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const r = await finished(run('rawWrites', null, store))
  assert.equal(r.code, 0, r.stderr)
  assert.doesNotMatch(r.stdout + r.stderr, /straight to fd/)
  const log = readFileSync(join(store, 'logs', '0.log'), 'utf8')
  assert.match(log, /through the console/)
  assert.match(log, /straight to fd 1/)
  assert.match(log, /straight to fd 2/)
})

test('a job whose output finds the disk full fails saying so, and leaves its log whole, not half cut', { timeout: 60_000 }, async (t) => {
  // Registered before scratch's removal of the directory, so that it runs first (after hooks run in the order they were registered).
  let disk: string | undefined
  t.after(() => {
    if (disk !== undefined && isMounted(disk)) unmount(disk)
  })
  disk = join(scratch(t), 'disk')
  mkdirSync(disk)
  mountTmpfs(disk, '4M')
  const store = join(disk, 'store')
  const r = await jobtree(['run', WORKFLOW, '--target', 'fillsDisk', '--store', store, '--no-progress'])
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /failed: no space left on device writing .*\/logs\/0\.log/)
  assert.doesNotMatch(r.stderr, /worker process died/)
  assert.deepEqual(
    readdirSync(join(store, 'logs')).filter((name) => name.endsWith('.truncating')),
    [],
  )
  const status = await jobtree(['status', store])
  assert.match(status.stdout, /no space left on device writing/)
})
