import { setTimeout as sleep } from 'node:timers/promises'
import { JobtreeError } from '../errors.ts'
import { askLeader } from '../socket/ask.ts'
import { isStore, openStore, storePaths } from '../store/store.ts'
import { cancelLeftJobs } from './leftJobs.ts'

/** `jobtree kill`: stops the store's running leader as SIGINT would, and waits until it is gone. Returns the exit code. */
export async function killCommand(dir: string, flags: { wait: number }): Promise<number> {
  const paths = storePaths(dir)
  if (!isStore(paths.root)) throw new JobtreeError('STORE_MISSING', `no store at ${paths.root}`, { store: paths.root })
  if (await cancelLeftJobs(paths.root)) {
    process.stderr.write(`jobtree: no leader is running on ${paths.root}\n`)
    return 0
  }
  await askLeader(paths, 'kill')
  const deadline = Date.now() + flags.wait * 1000
  while (Date.now() < deadline) {
    await sleep(200)
    if (await released(paths.root)) {
      process.stderr.write(`jobtree: the leader of ${paths.root} stopped; resume with: jobtree run … --restart\n`)
      return 0
    }
  }
  throw new JobtreeError('STORE_IN_USE', `the leader of ${paths.root} was told to stop but still holds the store after ${flags.wait} s`, { store: paths.root })
}

/** True when no process holds the store's log. */
async function released(root: string): Promise<boolean> {
  try {
    const store = await openStore(root)
    await store.log.close()
    return true
  } catch (err) {
    if (err instanceof JobtreeError && err.code === 'STORE_IN_USE') return false
    throw err
  }
}
