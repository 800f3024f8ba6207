import type { JobsRewound, ReopenedJob, RewoundJob } from '../events/catalogue.ts'
import { eachFileId } from '../events/fileId.ts'
import { someToken } from '../events/promise.ts'
import type { JobTreeState } from './jobTreeState.ts'
import { lookup } from './fileRefs.ts'
import { DecisionError, type LoggedJob, type RewindInput, type RunHistory } from './inputs.ts'

// What a rewind sends back to run again. Rewinding a job supersedes its
// successful attempt, so everything that attempt's outcome reached must run
// again too: the jobs it made (discarded: its next attempt makes its own),
// the follow-ons of every ancestor whose children it is under (they ran
// after it), and every job whose input asks for a value it changes (through
// a promise, or through a value that is itself a promise of it), each with
// what it reached in turn. A job that runs again reads its input's files:
// where the store no longer holds one, the job that wrote it runs again too.

/** A rewind that cannot be done, said so that the user can act on it. */
export class RewindRefused extends DecisionError {}

export interface RewindPlan {
  event: JobsRewound
  /** Jobs added because a file a rewound job reads is gone, and why, in the order found. */
  widened: Array<{ jobId: number; why: string }>
  /** Files of superseded attempts the store holds, no longer visible once rewound. */
  files: string[]
}

export function planRewind(state: JobTreeState, input: RewindInput): RewindPlan {
  if (state.epoch === 0) throw new RewindRefused('the run has not started: there is nothing to rewind')
  const { history } = input
  const roots = askedJobs(state, input)
  const consumers = consumersOf(history)
  const widened: RewindPlan['widened'] = []
  for (;;) {
    const reach = closure(history, consumers, roots)
    const more = missingFiles(state, history, reach)
    if (more.length === 0) return plan(state, input, reach, widened)
    for (const m of more) {
      roots.push(m.jobId)
      widened.push(m)
    }
  }
}

function job(history: RunHistory, id: number): LoggedJob {
  const j = history.get(id)
  if (j === undefined) throw new DecisionError(`job ${id} is not in the run's history`)
  return j
}

function askedJobs(state: JobTreeState, input: RewindInput): number[] {
  const { history, asked } = input
  if ('jobs' in asked) {
    if (asked.jobs.length === 0) throw new RewindRefused('no job to rewind')
    for (const id of asked.jobs) {
      const j = history.get(id)
      if (j === undefined) {
        throw new RewindRefused(
          id >= 0 && id < state.nextJobId
            ? `job ${id} is not a job of this run any more (a rewind discarded it, or its id was set aside and never used)`
            : `job ${id} does not exist (this run's job ids go from 0 to ${state.nextJobId - 1})`,
        )
      }
      if (j.attempts === 0) throw new RewindRefused(`job ${id} has not run yet: there is nothing to rewind`)
    }
    return [...asked.jobs]
  }
  const root = history.get(0)
  if (root === undefined || asked.toSeq < root.createdSeq) {
    throw new RewindRefused(`event ${asked.toSeq} is before the root job was made (event ${root?.createdSeq ?? '?'}): start a new run instead`)
  }
  const changed: number[] = []
  for (const [id, j] of history) if (j.createdSeq <= asked.toSeq && j.lastSeq > asked.toSeq) changed.push(id)
  if (changed.length === 0) throw new RewindRefused(`no job changed after event ${asked.toSeq}: there is nothing to rewind`)
  return changed
}

/** For each job, the jobs whose input asks for its value, and the jobs whose value is (or holds) a promise of it. */
interface Consumers {
  readonly inputs: ReadonlyMap<number, number[]>
  readonly values: ReadonlyMap<number, number[]>
}

function consumersOf(history: RunHistory): Consumers {
  const inputs = new Map<number, number[]>()
  const values = new Map<number, number[]>()
  const add = (index: Map<number, number[]>, holder: number, value: unknown) =>
    someToken(value, (ref) => {
      if (ref.job === undefined) return false
      const list = index.get(ref.job)
      if (list === undefined) index.set(ref.job, [holder])
      else if (list[list.length - 1] !== holder) list.push(holder)
      return false
    })
  for (const [id, j] of history) {
    if (j.spec.work.kind === 'target') add(inputs, id, j.spec.work.input)
    if (j.finished !== null) add(values, id, j.finished.value)
  }
  return { inputs, values }
}

interface Reach {
  /** Jobs that run again, their creation kept. */
  reset: Set<number>
  /** Jobs made by the attempts superseded. */
  discarded: Set<number>
}

function closure(history: RunHistory, consumers: Consumers, roots: readonly number[]): Reach {
  const reset = new Set<number>()
  const discarded = new Set<number>()
  const todo: number[] = []
  const runAgain = (id: number) => {
    if (reset.has(id) || discarded.has(id)) return
    reset.add(id)
    todo.push(id)
  }
  const drop = (id: number) => {
    if (discarded.has(id)) return
    reset.delete(id)
    discarded.add(id)
    todo.push(id)
  }
  for (const id of roots) runAgain(id)
  while (todo.length > 0) {
    const id = todo.pop() as number
    const j = job(history, id)
    if (j.finished !== null) {
      const { first, children, followOns } = j.finished.successors
      for (let s = first; s < first + children + followOns; s++) if (history.has(s)) drop(s)
    }
    if (discarded.has(id)) continue
    for (const c of readersOf(consumers, id)) runAgain(c)
    for (let n = j; n.parent !== -1; ) {
      const parent = job(history, n.parent)
      if (n.relation === 'child' && parent.finished !== null) {
        const { first, children, followOns } = parent.finished.successors
        for (let f = first + children; f < first + children + followOns; f++) runAgain(f)
      }
      n = parent
    }
  }
  return { reset, discarded }
}

/** The jobs whose input resolves through job `id`'s value: asking for it, or for a value that is a promise of it. */
function readersOf(consumers: Consumers, id: number): number[] {
  const readers: number[] = []
  const seen = new Set<number>([id])
  const through = [id]
  while (through.length > 0) {
    const p = through.pop() as number
    for (const c of consumers.inputs.get(p) ?? []) readers.push(c)
    for (const h of consumers.values.get(p) ?? []) {
      if (seen.has(h)) continue
      seen.add(h)
      through.push(h)
    }
  }
  return readers
}

/** Whether the rewind reaches the job: it runs again, or is discarded. */
function inReach(reach: Reach, id: number): boolean {
  return reach.reset.has(id) || reach.discarded.has(id)
}

/**
 * The values a rewound job's input resolves through that stay as recorded:
 * its producers outside the rewind, and theirs in turn. `visit` sees each
 * (its id and recorded value) once.
 */
function eachKeptProducer(history: RunHistory, reach: Reach, input: unknown, visit: (id: number, value: unknown) => void): void {
  const seen = new Set<number>()
  const follow = (value: unknown) =>
    someToken(value, (ref) => {
      if (ref.job === undefined || seen.has(ref.job) || inReach(reach, ref.job)) return false
      seen.add(ref.job)
      const finished = history.get(ref.job)?.finished
      // A producer that has not succeeded yet: the job waits for it as before.
      if (finished === undefined || finished === null) return false
      visit(ref.job, finished.value)
      follow(finished.value)
      return false
    })
  follow(input)
}

/** The writers of files rewound jobs will read that the store will not hold: they run again too. */
function missingFiles(state: JobTreeState, history: RunHistory, reach: Reach): Array<{ jobId: number; why: string }> {
  const more = new Map<number, string>()
  const check = (reader: LoggedJob, value: unknown, via: string) =>
    eachFileId(value, state.runId, (ref, id) => {
      const held = lookup(state, id) !== undefined && !inReach(reach, ref.jobId)
      if (held) return
      if (ref.jobId === -1) {
        throw new RewindRefused(
          `job ${reader.jobId} would run again, but its input${via} names file ${ref.name}, imported when the run started, which the store no longer holds`,
        )
      }
      // Named as is by a job made before its writer ran again: the job that made it runs again instead.
      const writer = inReach(reach, ref.jobId) ? reader.parent : ref.jobId
      if (writer === -1) throw new RewindRefused(`the root job's input names file ${ref.name}, which the store no longer holds`)
      if (!more.has(writer) && !inReach(reach, writer)) {
        more.set(writer, `job ${reader.jobId}'s input${via} names file ${ref.name}, which job ${ref.jobId} wrote and the store no longer holds`)
      }
    })
  for (const id of [...reach.reset].sort((a, b) => a - b)) {
    const j = job(history, id)
    if (j.spec.work.kind !== 'target') continue
    check(j, j.spec.work.input, '')
    eachKeptProducer(history, reach, j.spec.work.input, (producer, value) => check(j, value, ` (through job ${producer}'s value)`))
  }
  return [...more].map(([jobId, why]) => ({ jobId, why }))
}

function plan(state: JobTreeState, input: RewindInput, reach: Reach, widened: RewindPlan['widened']): RewindPlan {
  const { history } = input
  const resetIds = [...reach.reset].sort((a, b) => a - b)
  const reset: RewoundJob[] = resetIds.map((id) => {
    const j = job(history, id)
    const base = { jobId: id, parent: j.parent, relation: j.relation, attempts: j.attempts }
    return state.jobs.get(id) !== undefined ? base : { ...base, spec: j.spec }
  })
  const reopened = new Map<number, ReopenedJob>()
  for (const id of resetIds) {
    for (let a = job(history, id).parent; a !== -1 && !reopened.has(a); ) {
      const j = job(history, a)
      if (state.jobs.get(a) === undefined) {
        if (j.finished === null) throw new DecisionError(`job ${a} left the job tree without succeeding`)
        const { jobId, parent, relation, spec, attempts } = j
        reopened.set(a, { jobId, parent, relation, spec, attempts, value: j.finished.value, successors: j.finished.successors })
      }
      a = j.parent
    }
  }
  const values = new Map<number, unknown>()
  for (const id of resetIds) {
    const j = job(history, id)
    if (j.spec.work.kind !== 'target') continue
    eachKeptProducer(history, reach, j.spec.work.input, (producer, value) => {
      if (state.jobs.get(producer) === undefined && state.values.get(producer) === undefined && !reopened.has(producer)) values.set(producer, value)
    })
  }
  const files: string[] = []
  for (const id of [...resetIds, ...reach.discarded]) {
    const range = state.fileRanges.get(id + 1)
    if (range === undefined) continue
    for (let no = range.first; no < range.first + range.count; no++) {
      const entry = state.files.get(no)
      if (entry !== undefined) files.push(entry.id)
    }
  }
  const event: JobsRewound = {
    type: 'JobsRewound',
    v: 1,
    at: input.now,
    asked: input.asked,
    reset,
    reopened: [...reopened.values()].sort((a, b) => a.jobId - b.jobId),
    values: [...values].sort(([a], [b]) => a - b).map(([jobId, value]) => ({ jobId, value })),
    discarded: ranges([...reach.discarded].sort((a, b) => a - b)),
  }
  return { event, widened, files }
}

/** Sorted ids as [first, count] runs. */
function ranges(ids: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (const id of ids) {
    const last = out[out.length - 1]
    if (last !== undefined && last[0] + last[1] === id) last[1] += 1
    else out.push([id, 1])
  }
  return out
}
