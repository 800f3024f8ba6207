// A power cut in the middle of large writes. The store lives on a real ext4
// file system on a loop device; at a random instant, while jobs write files
// of 64 MiB, the file system is shut down without flushing its journal or
// any dirty page (the ext4 "shutdown" ioctl with NOLOGFLUSH, the way
// xfstests simulates a power failure): what was not synced is lost, as it
// would be. Then the leader is SIGKILLed, the disk mounted again (the
// journal replayed), and the store checked: every file the log makes visible
// is whole, with the size and SHA-256 its id names; no job was handed a file
// of an attempt that did not succeed. A restart then runs to the end, its
// reader sees the right bytes, and files/ holds exactly what is visible.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expectedHash } from './fixtures/bigFiles.ts'
import { finished, readEvents, scratch, sleep, startJobtree } from './helpers/cli.ts'
import { isMounted } from './helpers/disk.ts'
import { filesOfFailedAttempts, filesUnder, storeFilesProblems, visibleFileProblems } from './helpers/invariants/files.ts'
import { eventually } from './helpers/processes.ts'

const COUNT = 3
const MIB = 64
const CUTS = 3

/** Stops every write to the file system at `dir` at once, flushing nothing (EXT4_IOC_SHUTDOWN, EXT4_GOING_FLAGS_NOLOGFLUSH). */
function cutPower(dir: string): void {
  const script = 'import fcntl, os, struct, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\nfcntl.ioctl(fd, 0x8004587D, struct.pack("I", 2))'
  execFileSync('python3', ['-c', script, dir])
}

test('power cut: files of 64 MiB being written when the disk stops are never read short or damaged', async (t) => {
  assert.equal(process.getuid?.(), 0, 'this test makes a loop device and mounts it, which needs root: run it as root (CI does)')
  const dir = scratch(t, 'jobtree-powercut-')
  const image = join(dir, 'disk.img')
  const mnt = join(dir, 'mnt')
  mkdirSync(mnt)
  execFileSync('truncate', ['-s', '700M', image])
  const loop = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim()
  try {
    execFileSync('mkfs.ext4', ['-q', loop])
    execFileSync('mount', [loop, mnt])
    const store = join(mnt, 'store')
    const args = () => [
      'run',
      'test/fixtures/bigFiles.ts',
      '--store',
      store,
      '--no-progress',
      '--log-level',
      'warn',
      ...(existsSync(join(store, 'jobtree.json')) ? ['--restart'] : ['--target', 'bigRoot', '--input', JSON.stringify({ count: COUNT, mib: MIB })]),
    ]
    let seed = 99
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      return seed / 2 ** 32
    }
    let cuts = 0
    // Files the log recorded between two cuts: some must be, or the cuts all fell before any write finished.
    let written = 0
    let writtenBefore = 0
    for (let round = 0; cuts < CUTS && round < 10; round++) {
      const child = startJobtree(args())
      const result = finished(child)
      let exited = false
      void result.then(() => (exited = true))
      // Into the writes: once a file is being written, at a random instant.
      // Half the time once a file is being written, half the time once one is whole; then at a random instant.
      const whole = random() < 0.5
      await eventually('a file is being written', () => exited || filesUnder(join(store, 'files')).some((name) => name.endsWith('.partial') !== whole), 60_000)
      await sleep(random() * 500)
      if (exited) {
        const r = await result
        // A leader may also end on its own between two cuts; only a failure to start is wrong.
        assert.ok(r.code === 0 || existsSync(join(store, 'jobtree.json')), r.stderr)
        if (r.code === 0) break
        continue
      }
      cutPower(mnt)
      child.kill('SIGKILL')
      await result
      cuts += 1
      // Its workers die with it; the disk can be let go once they have.
      await eventually(
        'the workers let go of the disk',
        () => {
          try {
            execFileSync('umount', [mnt], { stdio: 'ignore' })
            return true
          } catch {
            return false
          }
        },
        30_000,
      )
      execFileSync('mount', [loop, mnt])
      if (!existsSync(join(store, 'jobtree.json'))) continue
      const events = await readEvents(store)
      written += events.filter((e) => e.type === 'FileWritten').length - writtenBefore
      writtenBefore = events.filter((e) => e.type === 'FileWritten').length
      assert.deepEqual(visibleFileProblems(join(store, 'files'), events), [], `after cut ${cuts}`)
      assert.deepEqual(filesOfFailedAttempts(events), [], `after cut ${cuts}`)
    }
    assert.ok(cuts > 0, 'the power was cut at least once while the run was going')
    t.diagnostic(`${written} file(s) recorded before a cut survived it`)
    let last = await finished(startJobtree(args()))
    for (let runs = 0; last.code !== 0 && runs < 3; runs++) last = await finished(startJobtree(args()))
    assert.equal(last.code, 0, last.stderr)
    const hashes = Array.from({ length: COUNT }, (_, s) => expectedHash(s, MIB))
    assert.deepEqual(JSON.parse(last.stdout), hashes)
    const events = await readEvents(store)
    assert.deepEqual(storeFilesProblems(join(store, 'files'), events), [])
    t.diagnostic(`${cuts} power cut(s); ${events.filter((e) => e.type === 'FileWritten').length} files recorded as written`)
  } finally {
    if (isMounted(mnt)) execFileSync('umount', ['--lazy', mnt])
    execFileSync('losetup', ['--detach', loop])
  }
})
