/** SIGKILLs a whole process group: a command and everything it started. */
export function killProcessGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch (err) {
    // Already gone (ESRCH), or the id now names someone else's group (EPERM).
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ESRCH' && code !== 'EPERM') throw err
  }
}

/**
 * The variable set in the environment of every command a local worker runs
 * (and so of everything it starts, even in a session of its own): it names
 * the leader and the worker, so that the leader can find what a worker that
 * died left running, even before the worker could say which group it was.
 */
export const WORKER_TAG = 'JOBTREE_WORKER'

export function workerTag(leaderPid: number, workerPid: number): string {
  return `${leaderPid}.${workerPid}`
}
