import { readFileSync } from 'node:fs'
import { processIds, statFields } from '../procfs.ts'

// Ending what a command started: its process group, and whatever left that
// group (even for a session of its own) but still carries a tag in its
// environment, found in Linux's /proc.

/**
 * Set in the environment of every local worker (and so of every process it
 * starts, from the instant of the fork, before the command is even exec'd):
 * it names the leader and the worker, so that the leader can find what a
 * worker that died left running, even before the worker could say which
 * process group its command was.
 */
export const WORKER_TAG = 'JOBTREE_WORKER'

/**
 * Set in the environment of every local worker of a run, to its run id: a new
 * leader of the run kills what carries it, left by a worker that was
 * SIGKILLed with its leader (so that neither could end its command).
 */
export const RUN_TAG = 'JOBTREE_RUN'

/**
 * Set in the environment of a command (and inherited by all it starts): it
 * names the worker process and the attempt, so that the worker, local or on a
 * Slurm node, can end what the command left behind once it ends.
 */
export const ATTEMPT_TAG = 'JOBTREE_ATTEMPT'

/** A local worker's tag: the leader's pid and the worker's serial number in it (its pid is not known before the fork). */
export function workerTag(leaderPid: number, serial: number): string {
  return `${leaderPid}.${serial}`
}

/** This process's tag for an attempt it runs. */
export function attemptTag(jobId: number, attempt: number): string {
  return `${process.pid}.${jobId}.${attempt}`
}

/** Rounds of search, each after killing what the last one found: a process can fork and move to a new session between a search and a kill. */
const KILL_ROUNDS = 10

/** SIGKILLs a whole process group: a command and everything it started. */
export function killProcessGroup(pgid: number): void {
  signal(-pgid)
}

/**
 * SIGKILLs every live process whose environment holds `name=value`, with its
 * process group, except this process; one that shares this process's group
 * is killed alone.
 */
export function killTagged(name: string, value: string): void {
  const needle = Buffer.from(`${name}=${value}\0`)
  const own = statFields('self')?.[2]
  for (let round = 0; round < KILL_ROUNDS; round++) {
    let found = 0
    for (const proc of processIds()) {
      if (Number(proc) === process.pid || !tagged(proc, needle)) continue
      const fields = statFields(proc)
      // A zombie is dead already (and has no environment to read anyway).
      if (fields === undefined || fields[0] === 'Z') continue
      found += 1
      const group = fields[2]
      signal(group === own ? Number(proc) : -Number(group))
    }
    if (found === 0) return
  }
}

function tagged(proc: string, needle: Buffer): boolean {
  let environ: Buffer
  try {
    environ = readFileSync(`/proc/${proc}/environ`)
  } catch {
    return false
  }
  // An entry starts the environment or follows a NUL.
  for (let at = environ.indexOf(needle); at !== -1; at = environ.indexOf(needle, at + 1)) {
    if (at === 0 || environ[at - 1] === 0) return true
  }
  return false
}

function signal(target: number): void {
  try {
    process.kill(target, 'SIGKILL')
  } catch (err) {
    // Already gone (ESRCH), or the id now names someone else's process or group (EPERM).
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ESRCH' && code !== 'EPERM') throw err
  }
}
