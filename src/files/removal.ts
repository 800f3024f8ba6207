import { readdirSync, rmdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseFileId } from '../events/fileId.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import { attemptDir, storeFilePath } from './storeFile.ts'

// The leader's side of the file store: it removes the bytes of what the log
// says is gone (released, deleted, written by an attempt that failed) once
// that is recorded, and sweeps what a crash left behind. A crash between the
// record and the removal leaves bytes nothing names, which the next sweep takes.

/** Removes a released or deleted file's bytes, and its attempt's directory when that was the last. */
export function removeStoreFile(filesDir: string, id: string): void {
  const ref = parseFileId(id)
  if (ref === undefined) return
  rmSync(storeFilePath(filesDir, ref), { force: true })
  try {
    rmdirSync(attemptDir(filesDir, ref.jobId, ref.attempt))
  } catch {
    // Other files of the attempt are still there (ENOTEMPTY), or it is gone already.
  }
}

/** Removes what an attempt that did not succeed wrote. */
export function removeAttemptFiles(filesDir: string, jobId: number, attempt: number): void {
  rmSync(attemptDir(filesDir, jobId, attempt), { recursive: true, force: true })
}

/**
 * Removes everything in the files directory that `state` does not hold as
 * visible: files of attempts that failed or were cut short, partial writes,
 * files released or deleted just before a crash. Only call it when no
 * attempt of the run is out (before a leader issues any, after it stopped
 * them all). Returns how many entries it removed.
 */
export function sweepFiles(filesDir: string, state: JobTreeState): number {
  let entries: string[]
  try {
    entries = readdirSync(filesDir)
  } catch {
    return 0
  }
  let removed = 0
  for (const dir of entries) {
    const m = /^(-?\d+)-(\d+)$/.exec(dir)
    const range = m === null ? undefined : state.fileRanges.get(Number(m[1]) + 1)
    if (m === null || range === undefined || range.attempt !== Number(m[2])) {
      rmSync(join(filesDir, dir), { recursive: true, force: true })
      removed += 1
      continue
    }
    const names = readdirSync(join(filesDir, dir))
    let kept = 0
    for (const name of names) {
      const n = /^\d+$/.test(name) ? Number(name) : -1
      if (n >= 0 && n < range.count && state.files.get(range.first + n) !== undefined) {
        kept += 1
        continue
      }
      rmSync(join(filesDir, dir, name), { recursive: true, force: true })
      removed += 1
    }
    if (kept === 0) rmSync(join(filesDir, dir), { recursive: true, force: true })
  }
  return removed
}
