import { someToken } from '../events/promise.ts'
import { countFiles } from './fileRefs.ts'
import type { S } from './workingState.ts'

/**
 * Counts (+1) or lets go of (-1) the promises `value` holds, per producer. A
 * value can only be asked for through a promise: one in the input of a live
 * job, in the value of a live job, or in a value kept for a promise (resolving
 * a promise resolves those it leads to). Promises are only ever made from
 * promises already in the state, or for new successors, so a value that has
 * left the live state and that no promise names can never be asked for
 * again: it is dropped, and so are the promises it held.
 */
export function promise(s: S, value: unknown, delta: 1 | -1): void {
  someToken(value, (ref) => {
    if (ref.job === undefined) return false
    const count = (s.promised.get(ref.job) ?? 0) + delta
    s.promised = s.promised.set(ref.job, count === 0 ? undefined : count, s.made)
    if (count > 0 || s.jobs.get(ref.job) !== undefined) return false
    const kept = s.values.get(ref.job)
    if (kept !== undefined) {
      s.values = s.values.set(ref.job, undefined, s.made)
      promise(s, kept.value, -1)
      countFiles(s, kept.value, -1)
    }
    return false
  })
}
