import type { Recorded } from '../events/catalogue.ts'
import { JobtreeError } from '../errors.ts'
import { addressId } from './address.ts'
import { leaderEvents, noLeaderAnswers } from './readEvents.ts'
import { openStore, type OpenStore, type StorePaths } from '../store/store.ts'

// `events --follow`: every event from a position on, as it is appended, across
// leaders. While a leader runs, its socket streams them; when it stops, the
// rest is read from the log, which is then closed again at once, so that a
// restart is not refused; then the follower waits for a new leader's socket
// without touching the log. It ends when the run has finished (its last event
// is WorkflowFinished and no leader runs) or when `to` is reached.

const POLL_MS = 200

export async function followEvents(paths: StorePaths, from: number, to: number, onEvent: (r: Recorded) => void): Promise<void> {
  let next = Math.max(1, from)
  const take = (r: Recorded) => {
    onEvent(r)
    next = r.seq + 1
  }
  while (next <= to) {
    const direct = await readDirect(paths, next, to, take)
    if (direct === 'finished') return
    if (direct === 'locked') {
      if (!(await streamFromLeader(paths, next, to, take))) await sleep(POLL_MS)
      continue
    }
    if (next > to) return
    await newLeader(paths)
  }
}

/** Reads what the log has past `next`; says whether the run has finished, or that a leader holds the log. */
async function readDirect(paths: StorePaths, next: number, to: number, take: (r: Recorded) => void): Promise<'finished' | 'open' | 'locked'> {
  let store: OpenStore
  try {
    store = await openStore(paths.root)
  } catch (err) {
    if (err instanceof JobtreeError && err.code === 'STORE_IN_USE') return 'locked'
    throw err
  }
  try {
    for await (const r of store.log.read(next, to)) take(r)
    let last: Recorded | undefined
    for await (const r of store.log.read(store.log.lastSeq, store.log.lastSeq)) last = r
    return last?.event.type === 'WorkflowFinished' ? 'finished' : 'open'
  } finally {
    await store.log.close()
  }
}

/** Follows the running leader until it stops; false when no leader answered. */
async function streamFromLeader(paths: StorePaths, next: number, to: number, take: (r: Recorded) => void): Promise<boolean> {
  try {
    for await (const r of leaderEvents(paths, next, to, true)) take(r)
    return true
  } catch (err) {
    // A leader starting or stopping holds the log without a socket for a moment.
    if (noLeaderAnswers(err)) return false
    throw err
  }
}

/** Waits, without opening the log, until a leader other than one that left its socket behind is listening. */
async function newLeader(paths: StorePaths): Promise<void> {
  const stale = addressId(paths)
  for (;;) {
    const current = addressId(paths)
    if (current !== undefined && current !== stale) return
    await sleep(POLL_MS)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
