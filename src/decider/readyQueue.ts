import { UnresolvedPromise, resolveTokens } from '../events/promise.ts'
import type { JobRecord, JobTreeState } from './jobTreeState.ts'
import { must, move, type S, update } from './workingState.ts'

// The ready queue of the job tree (a list threaded through the records, in
// the order jobs became ready) and what puts a job in it: its structural
// dependencies met, and every promise its input holds kept.

/** A waiting job whose structural dependencies are met: queue it, unless its input waits for a promise. */
export function release(s: S, id: number): void {
  const job = must(s, id)
  const blocker = unresolvedProducer(s, job)
  if (blocker !== -1) {
    const producer = must(s, blocker)
    update(s, producer, { waiters: [...producer.waiters, id] })
    update(s, job, { waitingOn: blocker })
    return
  }
  update(s, job, { phase: 'ready', waitingOn: -1, next: -1, prev: s.readyTail })
  move(s, 'waiting', 'ready')
  if (s.readyTail === -1) {
    s.readyHead = id
  } else {
    const tail = must(s, s.readyTail)
    update(s, tail, { next: id })
  }
  s.readyTail = id
}

function unresolvedProducer(s: S, job: JobRecord): number {
  if (job.spec.work.kind !== 'target') return -1
  try {
    resolveTokens(job.spec.work.input, (producer) => valueOf(s, producer))
    return -1
  } catch (err) {
    if (err instanceof UnresolvedPromise) return err.producer
    throw err
  }
}

/** The value of a job that has succeeded, or undefined if it has not. */
export function valueOf(s: JobTreeState, id: number): { value: unknown } | undefined {
  const job = s.jobs.get(id)
  if (job !== undefined) return job.phase === 'succeeded' ? { value: job.value } : undefined
  if (id >= s.nextJobId || id < 0) return undefined
  return s.values.get(id) ?? { value: undefined }
}

/** Takes a job out of the ready queue. */
export function unlink(s: S, job: JobRecord): void {
  if (s.readyHead === job.id) {
    s.readyHead = job.next
    if (job.next === -1) s.readyTail = -1
    return
  }
  const before = must(s, job.prev)
  update(s, before, { next: job.next })
  if (job.next === -1) {
    s.readyTail = job.prev
  } else {
    const after = must(s, job.next)
    update(s, after, { prev: job.prev })
  }
}

/** The jobs in the ready queue, in order. */
export function* readyJobs(state: JobTreeState): Generator<JobRecord> {
  for (let id = state.readyHead; id !== -1; ) {
    const job = state.jobs.get(id)
    if (job === undefined) return
    yield job
    id = job.next
  }
}
