import type { JobsRewound, JobSpec } from '../events/catalogue.ts'
import { newRecord, ProjectionError, type JobRecord } from './jobTreeState.ts'
import { fresh, must, type S, update } from './workingState.ts'
import { countFiles, ownerDone } from './fileRefs.ts'
import { promise } from './promised.ts'
import { release, unlink } from './readyQueue.ts'

// How the job tree takes a rewind (JobsRewound): the rewound jobs are back
// as they were created, waiting to run again; the jobs their superseded
// attempts made are gone, and so are those attempts' files; their ancestors
// are back in the live state, waiting for them again. Every count the tree
// keeps (phases, promises, file references, open successors) is moved with
// them, so that the events after it apply as after any other.

/** What the superseded records held that the counts must let go of, once the new holders are counted. */
interface LetGo {
  values: unknown[]
  /** Inputs of records that leave the live state: promised while live, files unless they had succeeded. */
  inputs: Array<{ input: unknown; files: boolean }>
}

export function rewound(s: S, e: JobsRewound): void {
  s.finished = null
  const letGo: LetGo = { values: [], inputs: [] }
  // New holders first: a value the rewound jobs ask for again must not be
  // let go of on the way, because its last holder was superseded.
  for (const { jobId, value } of e.values) {
    if (s.jobs.get(jobId) !== undefined || s.values.get(jobId) !== undefined) throw new ProjectionError(`job ${jobId}'s value restored while the tree holds it`)
    s.values = s.values.set(jobId, { value }, s.made)
    promise(s, value, 1)
    countFiles(s, value, 1)
  }
  for (const r of e.reopened) reopen(s, r)
  for (const r of e.reset) reset(s, r, letGo)
  for (const [first, count] of e.discarded) for (let id = first; id < first + count; id++) discard(s, id, letGo)
  const gone = (id: number) => e.reset.some((r) => r.jobId === id) || e.discarded.some(([first, count]) => id >= first && id < first + count)
  s.delayed = s.delayed.filter((d) => !gone(d.id))
  for (const value of letGo.values) {
    promise(s, value, -1)
    countFiles(s, value, -1)
  }
  for (const { input, files } of letGo.inputs) {
    promise(s, input, -1)
    if (files) countFiles(s, input, -1)
  }
  reopenAncestors(s, e)
  for (const r of e.reopened) ownerDone(s, r.jobId)
  for (const r of e.reset) {
    const job = must(s, r.jobId)
    if (job.relation !== 'followOn' || must(s, job.parent).openChildren === 0) release(s, r.jobId)
  }
}

/** An ancestor that had completed: live again, as it was when it succeeded (its open successors are counted afterwards). */
function reopen(s: S, r: JobsRewound['reopened'][number]): void {
  if (s.jobs.get(r.jobId) !== undefined) throw new ProjectionError(`job ${r.jobId} reopened while live`)
  const kept = s.values.get(r.jobId)
  // A kept value is counted already: it moves into the record as it is.
  if (kept !== undefined) s.values = s.values.set(r.jobId, undefined, s.made)
  else {
    promise(s, r.value, 1)
    countFiles(s, r.value, 1)
  }
  if (r.spec.work.kind === 'target') promise(s, r.spec.work.input, 1)
  const { first, children, followOns } = r.successors
  fresh(s, {
    ...newRecord(r.jobId, r.parent, r.relation, r.spec, r.attempts, []),
    phase: 'succeeded',
    value: r.value,
    firstChild: first,
    firstFollowOn: first + children,
    followOns,
  })
}

/** A job that runs again: back to waiting, with a fresh budget of failures; its attempt numbers go on. */
function reset(s: S, r: JobsRewound['reset'][number], letGo: LetGo): void {
  const live = s.jobs.get(r.jobId)
  let spec: JobSpec
  if (live === undefined) {
    if (r.spec === undefined) throw new ProjectionError(`job ${r.jobId} rewound without its spec, and it is not live`)
    spec = r.spec
    // It had completed, so it had succeeded; its input is held again, its value no more.
    s.counts.succeeded -= 1
    const kept = s.values.get(r.jobId)
    if (kept !== undefined) {
      s.values = s.values.set(r.jobId, undefined, s.made)
      letGo.values.push(kept.value)
    }
    if (spec.work.kind === 'target') {
      promise(s, spec.work.input, 1)
      countFiles(s, spec.work.input, 1)
    }
  } else {
    spec = live.spec
    leaveQueues(s, live)
    if (live.phase === 'succeeded') {
      if (spec.work.kind === 'target') countFiles(s, spec.work.input, 1)
      letGo.values.push(live.value)
    }
  }
  forgetFiles(s, r.jobId)
  fresh(s, newRecord(r.jobId, r.parent, r.relation, spec, r.attempts, []))
  s.counts.waiting += 1
}

/** A job a superseded attempt made: it leaves the tree as if it had never been, but its id stays used. */
function discard(s: S, id: number, letGo: LetGo): void {
  const live = s.jobs.get(id)
  if (live === undefined) {
    if (id >= s.nextJobId) throw new ProjectionError(`job ${id} discarded before it was created`)
    s.counts.succeeded -= 1
    const kept = s.values.get(id)
    if (kept !== undefined) {
      s.values = s.values.set(id, undefined, s.made)
      letGo.values.push(kept.value)
    }
  } else {
    leaveQueues(s, live)
    if (live.spec.work.kind === 'target') letGo.inputs.push({ input: live.spec.work.input, files: live.phase !== 'succeeded' })
    if (live.phase === 'succeeded') letGo.values.push(live.value)
    s.jobs = s.jobs.set(id, undefined, s.made)
  }
  s.counts.total -= 1
  forgetFiles(s, id)
}

/** A live record that is replaced or goes: out of its phase's count, the ready queue and its producer's waiters. */
function leaveQueues(s: S, job: JobRecord): void {
  s.counts[job.phase] -= 1
  if (job.phase === 'ready') unlink(s, job)
  if (job.waitingOn === -1) return
  const producer = s.jobs.get(job.waitingOn)
  if (producer !== undefined) update(s, producer, { waiters: producer.waiters.filter((w) => w !== job.id) })
}

/** What the job's superseded attempt wrote is no longer visible (the leader's sweep removes the bytes). */
function forgetFiles(s: S, id: number): void {
  const range = s.fileRanges.get(id + 1)
  if (range === undefined) return
  for (let no = range.first; no < range.first + range.count; no++) {
    if (s.files.get(no) === undefined) continue
    s.files = s.files.set(no, undefined, s.made)
    s.fileOrphans = s.fileOrphans.set(no, undefined, s.made)
    s.liveFiles -= 1
  }
  s.fileRanges = s.fileRanges.set(id + 1, undefined, s.made)
}

/** Every ancestor of a rewound job waits for its successors again: their open counts are what is live below them now. */
function reopenAncestors(s: S, e: JobsRewound): void {
  const counted = new Set<number>()
  for (const r of e.reset) {
    for (let id = r.parent; id !== -1 && !counted.has(id); ) {
      counted.add(id)
      const job = must(s, id)
      let openChildren = 0
      let openFollowOns = 0
      for (let c = job.firstChild; c < job.firstFollowOn; c++) if (s.jobs.get(c) !== undefined) openChildren += 1
      for (let f = job.firstFollowOn; f < job.firstFollowOn + job.followOns; f++) if (s.jobs.get(f) !== undefined) openFollowOns += 1
      if (job.phase !== 'succeeded') throw new ProjectionError(`job ${id}, an ancestor of rewound job ${r.jobId}, is ${job.phase}`)
      update(s, job, { openChildren, openFollowOns })
      id = job.parent
    }
  }
}
