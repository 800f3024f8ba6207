import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { JobtreeError } from './errors.ts'

// A disk that fills up (or a quota that runs out) under the store is the
// user's environment, not a bug in jobtree: it is reported in one line that
// names the full file system and says what became of the run. Node reports it
// as an errno error (ENOSPC, EDQUOT); LevelDB as an IO error whose message
// ends with the C library's words for it.

const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT'])
const NO_SPACE_WORDS = /(No space left on device|Disk quota exceeded)$/
/** LevelDB's "IO error: <file>: <strerror>". */
const LEVELDB_IO = /^IO error: (.+): [^:]+$/

/** True when `err` says a write found no space left (a full disk or an exhausted quota). */
export function isNoSpace(err: unknown): boolean {
  if (err instanceof JobtreeError) return err.code === 'DISK_FULL'
  if (!(err instanceof Error)) return false
  const code = (err as NodeJS.ErrnoException).code
  return (code !== undefined && NO_SPACE_CODES.has(code)) || NO_SPACE_WORDS.test(err.message)
}

/** What a leader whose store's disk filled up leaves behind, and how to go on. */
export function resumeHint(store: string, once = 'space is freed'): string {
  return `nothing the store recorded was lost; once ${once}, jobtree run … --store ${store} --restart resumes the run`
}

/** The same, when the disk filled up before the store existed. */
export const NOT_CREATED = 'no store was created; once space is freed, run the same command again'

/**
 * The one-line DISK_FULL error for `err`, a failed write of `path` (or of
 * the file the error names), followed by `next`: what is left and what to do.
 */
export function diskFullError(err: unknown, path: string, next: string): JobtreeError {
  const file = resolve(fileOf(err) ?? path)
  const mount = mountOf(file)
  return new JobtreeError('DISK_FULL', `no space left on the file system at ${mount} (writing ${file}): ${next}`, { path: file, mount })
}

/** `err` as a DISK_FULL error when it is a full disk's (and not typed already), else `err` itself. */
export function orDiskFull(err: unknown, path: string, next: string): unknown {
  return !(err instanceof JobtreeError) && isNoSpace(err) ? diskFullError(err, path, next) : err
}

function fileOf(err: unknown): string | undefined {
  if (err instanceof JobtreeError) return typeof err.context.path === 'string' ? err.context.path : undefined
  if (!(err instanceof Error)) return undefined
  const errno = err as NodeJS.ErrnoException & { address?: string }
  return errno.path ?? errno.address ?? LEVELDB_IO.exec(err.message)?.[1]
}

/** Where the file system holding `path` is mounted: its highest ancestor on the same device. */
function mountOf(path: string): string {
  // The file itself may not exist (its creation failed): start from what does.
  let at = path
  let device = deviceOf(at)
  while (device === undefined) {
    if (dirname(at) === at) return path
    at = dirname(at)
    device = deviceOf(at)
  }
  for (let up = dirname(at); up !== at && deviceOf(up) === device; up = dirname(at)) at = up
  return at
}

function deviceOf(path: string): number | undefined {
  try {
    return statSync(path).dev
  } catch {
    return undefined
  }
}
