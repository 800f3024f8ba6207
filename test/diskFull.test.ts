// A disk that fills up under the store is the user's environment, not a bug:
// one line naming the full file system, exit 2, no trace; the store survives,
// and once space is freed `--restart` finishes the run and `replay --verify`
// passes. The disk is a real one: a small tmpfs, mounted here (as root).
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { JobEvent } from '../src/events/catalogue.ts'
import { EventLog } from '../src/store/log.ts'
import { JobtreeError } from '../src/errors.ts'
import { jobtree, readEvents, scratch, type CliResult } from './helpers/cli.ts'
import { fillUp, mountTmpfs, resizeTmpfs, unmount } from './helpers/disk.ts'

const FILLER = 'test/fixtures/diskFiller.ts'

/** A tmpfs of `size` mounted in a fresh directory, unmounted and removed after the test. */
function smallDisk(t: TestContext, size: string): string {
  // Registered before scratch's removal of the directory, so that it runs first (after hooks run in the order they were registered).
  let mounted: string | undefined
  t.after(() => {
    if (mounted !== undefined) unmount(mounted)
  })
  const disk = join(scratch(t, 'jobtree-disk-'), 'disk')
  mkdirSync(disk)
  mountTmpfs(disk, size)
  mounted = disk
  return disk
}

function assertDiskFull(r: CliResult, disk: string, next: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr:\n${r.stderr}`)
  assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, 'no trace, no "internal error"')
  const last = r.stderr.trimEnd().split('\n').at(-1) ?? ''
  assert.ok(last.startsWith(`jobtree: error: no space left on the file system at ${disk} (writing ${disk}/`), last)
  assert.match(last, next)
}

/** The jobs whose completion the log records. */
function finishedJobs(events: readonly JobEvent[]): Set<number> {
  return new Set(events.flatMap((e) => (e.type === 'JobFinished' ? [e.jobId] : [])))
}

test('disk full: the leader stops with one line, exit 2; once space is freed, --restart finishes and replay --verify passes', async (t) => {
  const disk = smallDisk(t, '3M')
  const store = join(disk, 'store')
  // 100 values of 100 KB: the log needs ~10 MB.
  const args = ['run', FILLER, '--target', 'blobs', '--input', '{"count":100,"bytes":75000}', '--store', store, '--no-progress', '--max-disk', '1T']
  const resume = new RegExp(`: nothing the store recorded was lost; once space is freed, jobtree run … --store ${store} --restart resumes the run$`)

  const full = await jobtree(args)
  assertDiskFull(full, disk, resume)
  assert.equal(full.stdout, '')

  // Still full: a restart, and a status, say the same and change nothing.
  const early = await jobtree(['run', FILLER, '--store', store, '--restart', '--no-progress'])
  assertDiskFull(early, disk, resume)
  assertDiskFull(await jobtree(['status', store]), disk, resume)

  resizeTmpfs(disk, '256M')
  const before = await readEvents(store)
  assert.ok(finishedJobs(before).size > 0, 'some jobs finished before the disk filled up')
  const done = await jobtree(['run', FILLER, '--store', store, '--restart', '--no-progress', '--log-level', 'warn'])
  assert.equal(done.code, 0, done.stderr)
  assert.equal(done.stdout, `${100 * 100_000}\n`)

  const after = await readEvents(store)
  assert.deepEqual(after.slice(0, before.length), before, 'every event recorded before the disk filled up is still there')
  const rerun = after.slice(before.length).filter((e) => e.type === 'JobIssued' && finishedJobs(before).has(e.jobId))
  assert.deepEqual(rerun, [], 'no job whose completion was recorded ran again')

  const verify = await jobtree(['replay', store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  assert.match(verify.stdout, /^verified: \d+ events from \d+ inputs/)
})

test('disk full before the store exists: nothing is left behind, and the same command works once space is freed', async (t) => {
  const disk = smallDisk(t, '1M')
  const filler = join(disk, 'filler')
  fillUp(filler)
  const store = join(disk, 'store')
  const args = ['run', FILLER, '--target', 'blobs', '--input', '{"count":2,"bytes":10}', '--store', store, '--no-progress', '--max-disk', '1T']

  const full = await jobtree(args)
  assertDiskFull(full, disk, /: no store was created; once space is freed, run the same command again$/)
  assert.equal(existsSync(store), false, `no half-made store is left: ${existsSync(store) ? readdirSync(store).join(', ') : ''}`)

  rmSync(filler)
  const done = await jobtree([...args, '--log-level', 'warn'])
  assert.equal(done.code, 0, done.stderr)
  assert.equal(done.stdout, `${2 * 16}\n`)
})

test('disk full: after a snapshot fails, the log takes no more appends, so no record lands after a torn one', async (t) => {
  const disk = smallDisk(t, '4M')
  const path = join(disk, 'events')
  const ev = (jobId: number): JobEvent => ({ type: 'JobRetried', v: 1, at: jobId, jobId })
  const log = await EventLog.open(path, true)
  try {
    await log.append([ev(1), ev(2)])
    // Fill the disk, in two files, one to free again.
    const spare = join(disk, 'spare')
    writeFileSync(spare, Buffer.alloc(256 * 1024))
    fillUp(join(disk, 'filler'))
    await assert.rejects(log.putSnapshot(2, randomBytes(16), [randomBytes(2 ** 20)]), (err: unknown) => err instanceof JobtreeError && err.code === 'DISK_FULL')
    // Space again, but LevelDB's write-ahead file may end in half a snapshot: writing after it would bury that inside the file.
    rmSync(spare)
    await assert.rejects(log.append([ev(3)]), (err: unknown) => {
      assert.ok(err instanceof JobtreeError && err.code === 'DISK_FULL', String(err))
      assert.match(err.message, new RegExp(`^no space left on the file system at ${disk} \\(writing ${path}/\\S+\\): nothing the store recorded was lost`))
      return true
    })
  } finally {
    await log.close()
  }
  resizeTmpfs(disk, '64M')
  const reopened = await EventLog.open(path, true)
  try {
    const seen: number[] = []
    for await (const { event } of reopened.read()) if (event.type === 'JobRetried') seen.push(event.jobId)
    assert.deepEqual(seen, [1, 2])
    assert.equal(await reopened.append([ev(3)]), 3, 'the log goes on from its last synced event')
  } finally {
    await reopened.close()
  }
})
