import { existsSync, realpathSync, rmSync, statSync } from 'node:fs'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import { JobtreeError } from '../errors.ts'
import { withdrawAddress } from '../socket/address.ts'
import { replay } from '../store/replay.ts'
import { isStore, markerFile, storePaths } from '../store/store.ts'
import { holdStore } from './holdStore.ts'
import { cancelLeftOf } from './leftJobs.ts'

// `jobtree clean <store>` (Toil's clean): removes a store whose run is over
// or abandoned, all of it. The user named the store, so a run that did not
// finish (its leader crashed) is removed too, and what it still had to do
// is said. What is refused, with the store left as it was: a directory
// that is not a store (no marker: never an arbitrary directory), and a store
// held by a running leader (its LevelDB lock) or a reader. Before anything
// is removed, what the run's last leader left running is cancelled, as
// `jobtree kill` does for a store with no leader (a Slurm run's queued and
// running jobs, a local worker's leftovers); if that cannot be done (Slurm's
// commands fail), the store stays.

/** `jobtree clean`: returns the exit code. */
export async function cleanCommand(dir: string): Promise<number> {
  const given = storePaths(dir).root
  if (!existsSync(given)) throw new JobtreeError('STORE_MISSING', `no store at ${given}: nothing to clean`, { store: given })
  // A link to a store: the store is what goes, not the link alone.
  const paths = storePaths(realpathSync(given))
  if (!statSync(paths.root).isDirectory() || !isStore(paths.root)) {
    throw new JobtreeError('STORE_INVALID', `${given} is not a jobtree store (no jobtree.json): clean removes only stores`, { store: given })
  }
  const store = await holdStore(paths.root, 'clean')
  let state: JobTreeState
  try {
    state = await replay(store.log)
    await cancelLeftOf(store, state)
    withdrawAddress(store.paths) // a killed leader's socket, which may be outside the store
    // Under the lock, so that no leader starts meanwhile; and first, so that
    // a removal that fails halfway leaves no store to run or resume.
    rmSync(markerFile(store.paths))
  } finally {
    await store.log.close()
  }
  try {
    rmSync(paths.root, { recursive: true, force: true })
  } catch (err) {
    throw new JobtreeError('STORE_IO', `store ${paths.root} was removed only in part: ${(err as Error).message}`, { store: paths.root })
  }
  process.stdout.write(`removed store ${paths.root} (${describe(state)})\n`)
  return 0
}

function describe(state: JobTreeState): string {
  if (state.epoch === 0) return 'no run had started'
  const { succeeded, failed, total } = state.counts
  if (state.finished?.ok === true) return `run ${state.runId}, finished: ${succeeded} jobs succeeded`
  if (state.finished !== null) return `run ${state.runId}, finished with ${failed} failed job(s)`
  return `run ${state.runId}, unfinished: ${total - succeeded - failed} of ${total} jobs left`
}
