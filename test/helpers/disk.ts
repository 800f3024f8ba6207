// Small, real disks for the disk-full tests: a tmpfs mounted in a test's own
// directory. Mounting needs root, as the tests (and CI) run.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'

/** Mounts a tmpfs of `size` (e.g. '3M') on the directory `dir`. */
export function mountTmpfs(dir: string, size: string): void {
  assert.equal(process.getuid?.(), 0, 'this test mounts a tmpfs, which needs root: run it as root (CI does), e.g. sudo npm test')
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
}

export function resizeTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-o', `remount,size=${size}`, dir])
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir])
}

/** True when a file system is mounted on `dir` (given as an absolute path). */
export function isMounted(dir: string): boolean {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === dir)
}

/** Writes `file` until the disk under it is full. */
export function fillUp(file: string): void {
  const chunk = Buffer.alloc(2 ** 20)
  assert.throws(() => {
    for (;;) appendFileSync(file, chunk)
  }, /ENOSPC/)
}
