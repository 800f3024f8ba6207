import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../logger.ts'
import { scancel } from './commands.ts'
import { emptyDir, makeSlurmDirs, type SlurmDirs } from './files.ts'
import { readQueue } from './queue.ts'

// Cancelling a run's Slurm jobs and waiting until they are really gone: a
// cancelled job stays COMPLETING while its processes are killed (up to
// Slurm's KillWait, 30 s by default), and until then it could still write.

const WAIT_MS = 90_000
const STEP_MS = 250

/** The tag every Slurm job of a run carries as its job name. */
export function runTag(runId: string): string {
  return `jobtree-${runId}`
}

/** Cancels `ids` (jobs of the run tagged `tag`) and waits until none of them is pending, running or completing. */
export async function cancelAndWait(tag: string, ids: readonly string[], logger: Logger): Promise<void> {
  if (ids.length === 0) return
  await scancel(ids)
  const started = Date.now()
  let said = false
  for (;;) {
    const live = [...(await readQueue(tag, false)).keys()].filter((id) => ids.includes(id))
    if (live.length === 0) return
    if (Date.now() - started > WAIT_MS) {
      logger.warn(`Slurm job(s) ${live.join(' ')} still not gone ${WAIT_MS / 1000} s after scancel; they can no longer report into this run`)
      return
    }
    if (!said && Date.now() - started > 2000) {
      logger.info(`waiting for ${live.length} cancelled Slurm job(s) to end`)
      said = true
    }
    await sleep(STEP_MS)
  }
}

/** The run's jobs that are still pending or running (by its tag), cancelled, and gone when this resolves. */
async function cancelRun(tag: string, logger: Logger, why: string): Promise<void> {
  const ids = [...(await readQueue(tag, false)).keys()]
  if (ids.length > 0) logger.info(`cancelling ${ids.length} Slurm job(s) ${why}: ${ids.join(' ')}`)
  await cancelAndWait(tag, ids, logger)
}

/**
 * What a new leader does before issuing anything: the run's jobs an earlier
 * leader left in Slurm are cancelled and gone, and their tickets and results
 * removed, so that none of them can run or report into the new leader.
 */
export async function clearEarlierLeader(dirs: SlurmDirs, tag: string, logger: Logger): Promise<void> {
  makeSlurmDirs(dirs)
  // Tickets first: a job of the earlier leader that starts now finds nothing to run.
  for (const dir of [dirs.jobs, dirs.results, dirs.out]) emptyDir(dir)
  await cancelRun(tag, logger, 'left by an earlier leader of this run')
  // What they wrote while being cancelled.
  for (const dir of [dirs.jobs, dirs.results]) emptyDir(dir)
}
