import { appendFileSync, readFileSync, renameSync, rmSync, statfsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { JobtreeError } from '../../errors.ts'
import { makeStoreDir, writeStoreFile } from '../../storeModes.ts'
import { syncDir } from '../../syncDir.ts'

// What the leader and the workers on the nodes exchange through the store,
// which must be on a filesystem both see. Each attempt has a ticket, named
// after its job and attempt number:
//
//   slurm/jobs/<job>-<attempt>.job      written by the leader before sbatch
//   slurm/jobs/<job>-<attempt>.run      the same file, renamed by the worker
//                                       that claims it (one claim wins)
//   slurm/results/<job>-<attempt>.result  the attempt's result, written
//                                       durably by that worker
//   slurm/out/<slurm job id>.out        the Slurm job's own stdout and stderr
//
// The leader withdraws an attempt by deleting its ticket: a worker runs only
// what it could claim and writes a result only while its claim still exists.
// Results name their attempt, and a leader accepts only attempts it issued,
// so a job of an earlier leader can never report into a later one.

export interface SlurmDirs {
  root: string
  jobs: string
  results: string
  out: string
}

export function slurmDirs(storeRoot: string): SlurmDirs {
  const root = join(storeRoot, 'slurm')
  return { root, jobs: join(root, 'jobs'), results: join(root, 'results'), out: join(root, 'out') }
}

export function makeSlurmDirs(dirs: SlurmDirs): void {
  for (const dir of [dirs.jobs, dirs.results, dirs.out]) makeStoreDir(dir)
}

export function ticketName(jobId: number, attempt: number): string {
  return `${jobId}-${attempt}`
}

export const ticketFile = (dirs: SlurmDirs, ticket: string): string => join(dirs.jobs, `${ticket}.job`)
export const claimFile = (dirs: SlurmDirs, ticket: string): string => join(dirs.jobs, `${ticket}.run`)
export const resultFile = (dirs: SlurmDirs, ticket: string): string => join(dirs.results, `${ticket}${RESULT_SUFFIX}`)
export const outFile = (dirs: SlurmDirs, slurmJobId: string): string => join(dirs.out, `${slurmJobId}.out`)
/**
 * sbatch's pattern for outFile (%j is the Slurm job id). Slurm expands every
 * % in it, so the store's own are written %%; a backslash anywhere turns all
 * expansion off (and is dropped), so a store path with one cannot be named.
 */
export function outPattern(dirs: SlurmDirs): string {
  if (dirs.out.includes('\\')) {
    throw new JobtreeError(
      'BAD_OPTION',
      `the store path ${JSON.stringify(dirs.root)} holds a backslash, which sbatch's --output cannot name: use a store path without one`,
    )
  }
  return join(dirs.out.replaceAll('%', '%%'), '%j.out')
}

export const RESULT_SUFFIX = '.result'

/**
 * Writes a whole file so that a reader sees all of it or none: a temporary
 * file, fsync, rename, then fsync of the directory so the rename itself
 * survives a crash of the node.
 */
export function writeDurably(path: string, bytes: Uint8Array): void {
  const temp = `${path}.${process.pid}.tmp`
  writeStoreFile(temp, bytes)
  renameSync(temp, path)
  syncDir(dirname(path))
}

// Filesystems local to one machine: ext2-4, XFS, Btrfs, tmpfs, overlayfs,
// ZFS, F2FS. A store on one means the nodes are the leader's own machine,
// where a result is visible the moment it is renamed into place. On a network
// filesystem (NFS, Lustre, GPFS, …) a result written on a node may show up
// late on the leader's host: directory listings are cached.
const LOCAL_FILESYSTEMS = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1, 0xf2f52010])

/** How long to wait for the results of a Slurm job that ended before judging it: none on a local filesystem. */
export function resultGraceMs(storeRoot: string): number {
  try {
    return LOCAL_FILESYSTEMS.has(statfsSync(storeRoot).type) ? 0 : 15_000
  } catch {
    return 15_000
  }
}

export function emptyDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  makeStoreDir(dir)
}

/** A note in a job's log file; the log is for people, so failing to write it must not stop the leader. */
export function appendNote(file: string, text: string): void {
  try {
    appendFileSync(file, text)
  } catch {
    // The store's logs directory is gone or full: the event log still records the failure.
  }
}

/** The last lines of a file, or a note that there is none. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no output)'
  }
}
