import { openBatchSystem } from '../batch/choose.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import { JobtreeError } from '../errors.ts'
import { stderrLogger } from '../logger.ts'
import { replay } from '../store/replay.ts'
import { openStore, type OpenStore } from '../store/store.ts'

/**
 * When no leader holds the store: cancels what the run's last leader left in
 * its batch system (a cluster's jobs outlive a leader that was SIGKILLed),
 * holding the store meanwhile so that no leader starts under it. False when a
 * leader holds the store: it is the one to stop its jobs.
 */
export async function cancelLeftJobs(root: string): Promise<boolean> {
  let store: OpenStore
  try {
    store = await openStore(root)
  } catch (err) {
    if (err instanceof JobtreeError && err.code === 'STORE_IN_USE') return false
    throw err
  }
  try {
    await cancelLeftOf(store, await replay(store.log))
    return true
  } finally {
    await store.log.close()
  }
}

/** Cancels what the last leader of the run in `store` (held, with no leader) left in its batch system. */
export async function cancelLeftOf(store: OpenStore, state: JobTreeState): Promise<void> {
  if (state.config === null) return
  const batch = await openBatchSystem(state.config, { runId: state.runId, storeRoot: store.paths.root, logger: stderrLogger('info') })
  try {
    await batch.reconcile?.()
  } finally {
    await batch.shutdown()
  }
}
