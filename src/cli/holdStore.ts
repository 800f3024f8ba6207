import { JobtreeError } from '../errors.ts'
import { leaderAnswers } from '../socket/ask.ts'
import { openStore, storePaths, type OpenStore } from '../store/store.ts'

/**
 * The store's log, held by this command alone, for one that changes the
 * store (`clean`, `rewind`); refused while a leader runs or a reader reads,
 * saying which, and what to do (`then <verb>`).
 */
export async function holdStore(root: string, verb: string): Promise<OpenStore> {
  try {
    return await openStore(root)
  } catch (err) {
    if (!(err instanceof JobtreeError) || err.code !== 'STORE_IN_USE') throw err
    if (await leaderAnswers(storePaths(root), 2000)) {
      throw new JobtreeError('STORE_IN_USE', `store ${root} has a running leader: stop it with jobtree kill ${root}, then ${verb}`, { store: root })
    }
    throw new JobtreeError('STORE_IN_USE', `store ${root} is in use by another jobtree command: try again once it is done`, { store: root })
  }
}
