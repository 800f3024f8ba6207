import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs'
import { dirname, relative, join, sep } from 'node:path'

// A store holds the run's inputs, which may carry credentials, so what is in
// it is its owner's alone (directories 0700, files 0600), or, for a store
// made with --shared-group, readable by one group too (directories 02750,
// files 0640), whatever the user's umask.
//
// Two kinds of process write there, and each gets its modes its own way:
// - A process holding the store's LevelDB log (a leader, a reader) cannot
//   choose the modes of the files LevelDB makes, at open and for as long as
//   it runs (new tables, new write-ahead files, its LOG). So while it holds
//   the log its umask is the store's (077, or 027 when shared), and what it
//   makes itself (the marker, logs/, global/, Slurm's tickets; Slurm's own
//   output files, whose umask sbatch takes from its caller) follows.
// - A worker runs the user's code, whose files outside the store must keep
//   the user's umask. A worker starts with the umask of the process that
//   started it (the leader's, the store's), so the first thing it does is to
//   take back the user's, which the leader passes in JOBTREE_UMASK; then what
//   it writes into the store itself (job logs, results, global/) is given
//   its mode explicitly, the mode of the directory it is in. Files a job
//   writes itself into ctx.globalDir keep the job's umask: the directories
//   above them are what keeps other users out.

const UMASK_ENV = 'JOBTREE_UMASK'

/** The umask of a process holding a store's log: private, or readable by the store's group. */
export function storeUmask(shared: boolean): number {
  return shared ? 0o027 : 0o077
}

/** The store root's mode (setgid when shared, so that what is made inside keeps the store's group). */
export function storeRootMode(shared: boolean): number {
  return shared ? 0o2750 : 0o700
}

const held: number[] = []
let userUmask: { umask: number; env: string | undefined } | undefined

/**
 * Sets the process umask to `umask` until the returned release is called.
 * Holds nest (a program running two stores at once): the umask is then the
 * strictest of those held, and the user's comes back with the last release.
 */
export function holdUmask(umask: number): () => void {
  if (held.length === 0) {
    userUmask = { umask: process.umask(), env: process.env[UMASK_ENV] }
    // What the workers this process starts take back (restoreUserUmask).
    process.env[UMASK_ENV] = userUmask.umask.toString(8).padStart(4, '0')
  }
  held.push(umask)
  process.umask(held.reduce((a, b) => a | b, 0))
  let released = false
  return () => {
    if (released) return
    released = true
    held.splice(held.indexOf(umask), 1)
    if (held.length > 0) {
      process.umask(held.reduce((a, b) => a | b, 0))
      return
    }
    if (userUmask === undefined) return
    process.umask(userUmask.umask)
    if (userUmask.env === undefined) delete process.env[UMASK_ENV]
    else process.env[UMASK_ENV] = userUmask.env
    userUmask = undefined
  }
}

/** In a worker: takes back the umask of the user who started the leader (a worker without one keeps the store's, the safe side). */
export function restoreUserUmask(): void {
  const given = process.env[UMASK_ENV]
  if (given !== undefined && /^[0-7]{1,4}$/.test(given)) process.umask(Number.parseInt(given, 8))
}

/** The mode of a file made in `dir` of the store: its directory's read and write bits (0600, or 0640 when shared). */
function fileModeIn(dir: string): number {
  return statSync(dir).mode & 0o660
}

/** The mode of a store file no one may change, in `dir`: 0400, or 0440 when shared. */
export function readOnlyModeIn(dir: string): number {
  return fileModeIn(dir) & 0o440
}

/** Opens a file of the store, made if need be, with the mode of its directory whatever the umask. */
export function openStoreFile(path: string, flags: string): number {
  const fd = openSync(path, flags, 0o600)
  try {
    fchmodSync(fd, fileModeIn(dirname(path)))
  } catch (err) {
    closeSync(fd)
    throw err
  }
  return fd
}

/**
 * Writes a whole file of the store (made or replaced) with the mode of its
 * directory, synced: it is then renamed into place, and a power cut must not
 * leave the new name over bytes that never reached the disk.
 */
export function writeStoreFile(path: string, data: string | Uint8Array): void {
  const fd = openStoreFile(path, 'w')
  try {
    writeFileSync(fd, data)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Makes a directory of the store and those missing above it, each with its parent's mode (0700, or 02750 when shared). */
export function makeStoreDir(path: string): void {
  const first = mkdirSync(path, { recursive: true, mode: 0o700 })
  if (first === undefined) return
  let made = first
  for (const name of ['', ...relative(first, path).split(sep)]) {
    if (name !== '') made = join(made, name)
    chmodSync(made, statSync(dirname(made)).mode & 0o2770)
  }
}
