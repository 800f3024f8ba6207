import type { Batch } from './pvec.ts'
import { ProjectionError, type Counts, type JobRecord, type JobTreeState, type Phase } from './jobTreeState.ts'

// How evolve (jobTree.ts) changes its working copy of the state: the copy's
// shape, and the few ways a job record is read, added and changed in it.

// The working copy `apply` writes: the small top level and the counts,
// copied once per batch of events; PVec values are replaced. `made` holds
// the trie nodes and records this batch made: only it holds them, so later
// events of the batch may change them in place.
export type S = { -readonly [K in Exclude<keyof JobTreeState, 'counts'>]: JobTreeState[K] } & {
  counts: { -readonly [K in keyof Counts]: number }
  readonly made: Batch
}

export function move(s: S, from: Phase, to: Phase): void {
  s.counts[from] -= 1
  s.counts[to] += 1
}

export function must(s: S, id: number): JobRecord {
  const job = s.jobs.get(id)
  if (job === undefined) throw new ProjectionError(`event names job ${id}, which is not live`)
  return job
}

function put(s: S, job: JobRecord): void {
  s.jobs = s.jobs.set(job.id, job, s.made)
}

/** A record made by this batch: later events of the batch may change it in place. */
export function fresh(s: S, job: JobRecord): void {
  s.made.add(job)
  put(s, job)
}

/**
 * The live record `job` with `changes`: changed in place when this batch
 * made it (no older state holds it), else copied. A parent adding 100,000
 * children then makes one record for each, not three.
 */
export function update(s: S, job: JobRecord, changes: Partial<JobRecord>): void {
  if (s.made.has(job)) {
    Object.assign(job as Partial<JobRecord>, changes)
    return
  }
  fresh(s, { ...job, ...changes })
}
