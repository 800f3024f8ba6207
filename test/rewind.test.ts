// Rewind, as given-run / when-rewind / then-event tables, and what the run
// does after it: driven through the pure decider (test/helpers/simulatedRun.ts),
// no processes. Then a property: on random trees with promises between jobs,
// rewinding any job and running on with its target changed gives the result
// a fresh run with the changed target gives, running only what the rewind sent back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { JobsRewound, JobSpec, SuccessorSpec } from '../src/events/catalogue.ts'
import { formatFileId } from '../src/events/fileId.ts'
import { makeToken } from '../src/events/promise.ts'
import { planRewind, RewindRefused } from '../src/decider/rewindPlan.ts'
import type { RewindInput } from '../src/decider/inputs.ts'
import { evolve } from '../src/decider/jobTree.ts'
import { targetSpec } from './helpers/events.ts'
import { SimulatedRun, simulatedConfig, type Behaviour } from './helpers/simulatedRun.ts'

const local = (i: number) => makeToken({ local: i, path: [] })
const child = (target: string, input: unknown): SuccessorSpec => ({ relation: 'child', spec: targetSpec(target, input) })
const followOn = (target: string, input: unknown): SuccessorSpec => ({ relation: 'followOn', spec: targetSpec(target, input) })

/** test/fixtures/rewindFlow.ts as a behaviour: groups of leaves, summed by follow-ons; leaf 3 is wrong while `bug`. */
function flow(bug: boolean): Behaviour {
  return (_id, target, input) => {
    const i = input as { groups: number; leaves: number; g: number; k: number; xs: number[] }
    switch (target) {
      case 'flow': {
        const groups = Array.from({ length: i.groups }, (_, g) => child('group', { leaves: i.leaves, g }))
        return { successors: [...groups, followOn('total', { xs: groups.map((_, g) => local(g)) })], value: local(i.groups) }
      }
      case 'group': {
        const leaves = Array.from({ length: i.leaves }, (_, n) => child('leaf', { k: i.g * i.leaves + n }))
        return { successors: [...leaves, followOn('total', { xs: leaves.map((_, n) => local(n)) })], value: local(i.leaves) }
      }
      case 'leaf':
        return { value: bug && i.k === 3 ? -1 : i.k * i.k }
      default:
        return { value: i.xs.reduce((a, b) => a + b, 0) }
    }
  }
}

/** Jobs: 0 flow; 1, 2 groups; 3 the root's total; 4–6 group 1's leaves, 7 its total; 8–10 group 2's leaves, 11 its total. */
function finishedFlow(): SimulatedRun {
  const run = new SimulatedRun(targetSpec('flow', { groups: 2, leaves: 3 }))
  run.drive(flow(true))
  assert.equal(run.result(), 45)
  return run
}

function rewindInput(run: SimulatedRun, asked: JobsRewound['asked']): RewindInput {
  return { type: 'Rewind', now: 5000, asked, history: run.history() }
}

/** Rewinds as asked (recording the event) and returns it. */
function rewind(run: SimulatedRun, asked: JobsRewound['asked']): JobsRewound {
  const [event] = run.decideAndApply(rewindInput(run, asked))
  assert.equal(event.type, 'JobsRewound')
  return event as JobsRewound
}

const ids = (e: JobsRewound) => e.reset.map((r) => r.jobId)
const discarded = (e: JobsRewound) => e.discarded.flatMap(([first, count]) => Array.from({ length: count }, (_, i) => first + i))
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)

test("rewinding a leaf sends back it and what ran after it: its group's total and the root's; nothing is discarded", () => {
  const run = finishedFlow()
  const e = rewind(run, { jobs: [8] })
  assert.deepEqual(ids(e), [3, 8, 11])
  assert.deepEqual(e.discarded, [])
  // Both ancestors had completed; the values the totals ask for again had been let go.
  assert.deepEqual(
    e.reopened.map((r) => r.jobId),
    [0, 2],
  )
  assert.deepEqual(
    e.values.map((v) => v.jobId),
    [1, 7, 9, 10],
  )
  assert.equal(e.reset.find((r) => r.jobId === 8)?.attempts, 1)
  assert.equal(run.state.finished, null)
  assert.deepEqual(run.state.counts, { total: 12, waiting: 2, ready: 1, issued: 0, succeeded: 9, failed: 0 })
  assert.deepEqual(sorted(run.drive(flow(false))), [3, 8, 11])
  assert.equal(run.result(), 55)
  assert.deepEqual(run.state.counts, { total: 12, waiting: 0, ready: 0, issued: 0, succeeded: 12, failed: 0 })
  // The leaf ran as attempt 2: attempt numbers go on across a rewind.
  assert.ok(run.log.some((ev) => ev.type === 'JobIssued' && ev.jobId === 8 && ev.attempt === 2))
})

test('rewinding a group discards the jobs its attempt made; its next attempt makes new ones', () => {
  const run = finishedFlow()
  const e = rewind(run, { jobs: [2] })
  assert.deepEqual(ids(e), [2, 3])
  assert.deepEqual(e.discarded, [[8, 4]])
  assert.deepEqual(run.state.counts, { total: 8, waiting: 1, ready: 1, issued: 0, succeeded: 6, failed: 0 })
  assert.deepEqual(sorted(run.drive(flow(false))), [2, 3, 12, 13, 14, 15])
  assert.equal(run.result(), 55)
})

test('rewinding the root discards every other job', () => {
  const run = finishedFlow()
  const e = rewind(run, { jobs: [0] })
  assert.deepEqual(ids(e), [0])
  assert.deepEqual(e.discarded, [[1, 11]])
  assert.deepEqual(e.reopened, [])
  assert.equal(run.drive(flow(false)).length, 12)
  assert.equal(run.result(), 55)
})

test('rewinding to an event sends back every job that changed after it', () => {
  const run = finishedFlow()
  // After group 1's total finished: group 2's leaves had run too, but not its total, nor the root's.
  const seq = run.recorded().find((r) => r.event.type === 'JobFinished' && r.event.jobId === 7)?.seq as number
  const e = rewind(run, { toSeq: seq })
  assert.deepEqual(ids(e), [3, 11])
  assert.deepEqual(sorted(run.drive(flow(true))), [3, 11])
  assert.equal(run.result(), 45)
})

test('a second rewind works on what the first left, and a rewound job may be rewound again', () => {
  const run = finishedFlow()
  rewind(run, { jobs: [2] })
  run.drive(flow(false))
  const e = rewind(run, { jobs: [14] })
  assert.deepEqual(ids(e), [3, 14, 15])
  assert.deepEqual(sorted(run.drive(flow(false))), [3, 14, 15])
  assert.equal(run.result(), 55)
  // Jobs the first rewind discarded are not jobs of the run any more.
  assert.throws(() => planRewind(run.state, rewindInput(run, { jobs: [8] })), /job 8 is not a job of this run any more/)
})

test('a rewind of an unfinished run discards jobs that were still out; a restart runs the rest', () => {
  const run = new SimulatedRun(targetSpec('flow', { groups: 2, leaves: 3 }))
  // Run the root and both groups only: their leaves are out when the leader "dies".
  const partial: Behaviour = (id, target, input, attempt) => flow(true)(id, target, input, attempt)
  run.decideAndApply({ type: 'Schedule', now: 1 })
  let outcomes = 0
  for (const id of [0]) run.decideAndApply(succeedWith(run, id, partial))
  run.decideAndApply({ type: 'Schedule', now: 2 })
  for (const id of [1, 2]) {
    run.decideAndApply(succeedWith(run, id, partial))
    outcomes += 1
  }
  run.decideAndApply({ type: 'Schedule', now: 3 })
  assert.equal(outcomes, 2)
  assert.ok(run.state.counts.issued > 0)
  const e = rewind(run, { jobs: [1] })
  assert.deepEqual(ids(e), [1, 3])
  assert.deepEqual(e.discarded, [[4, 4]])
  run.decideAndApply({ type: 'Resume', now: 4, config: simulatedConfig })
  run.drive(flow(false))
  assert.equal(run.result(), 55)
})

function succeedWith(run: SimulatedRun, id: number, behave: Behaviour) {
  const job = run.state.jobs.get(id)
  if (job === undefined || job.spec.work.kind !== 'target') throw new Error(`job ${id} is not live`)
  const out = behave(id, job.spec.work.target, job.spec.work.input, job.attempts)
  return {
    type: 'AttemptSucceeded' as const,
    now: 10,
    jobId: id,
    attempt: job.attempts,
    value: out.value ?? null,
    successors: out.successors ?? [],
    messages: [],
    stats: { wallMs: 1, cpuMs: 1, maxRss: 0 },
  }
}

test("a follow-on runs again when a job under its parent's children does, even with no promise between them (it ran after it)", () => {
  // root → child a → child b; root's follow-on f and a's follow-on g take nothing from b.
  const order: Behaviour = (_id, target) => {
    if (target === 'root') return { successors: [child('a', null), followOn('f', null)] }
    if (target === 'a') return { successors: [child('b', null), followOn('g', null)] }
    return {}
  }
  const run = new SimulatedRun(targetSpec('root', null))
  run.drive(order)
  // Jobs: 0 root, 1 a, 2 f, 3 b, 4 g. A follow-on's own siblings ran beside it, not after: rewinding g sends back f only.
  assert.deepEqual(ids(rewind(run, { jobs: [3] })), [2, 3, 4])
  run.drive(order)
  assert.deepEqual(ids(rewind(run, { jobs: [4] })), [2, 4])
})

test('what cannot be rewound is refused, saying why', () => {
  const run = finishedFlow()
  const refused = (asked: JobsRewound['asked'], message: RegExp) =>
    assert.throws(
      () => planRewind(run.state, rewindInput(run, asked)),
      (err: unknown) => err instanceof RewindRefused && message.test(err.message),
    )
  refused({ jobs: [99] }, /job 99 does not exist \(this run's job ids go from 0 to 11\)/)
  refused({ jobs: [] }, /no job to rewind/)
  refused({ toSeq: 1 }, /before the root job was made/)
  refused({ toSeq: run.log.length }, /no job changed after event/)
  const fresh = new SimulatedRun(targetSpec('flow', { groups: 1, leaves: 1 }))
  assert.throws(() => planRewind(fresh.state, rewindInput(fresh, { jobs: [0] })), /job 0 has not run yet/)
})

// Files: a writer's file reaches a reader through the writer's value.
const fileOf = (jobId: number) => formatFileId({ runId: 'r', jobId, attempt: 1, n: 0, size: 3, sha256: 'a'.repeat(64), name: `out-${jobId}` })

const files: Behaviour = (id, target, input) => {
  if (target === 'root') return { successors: [child('write', null), followOn('read', { file: local(0) })], value: local(1) }
  if (target === 'write')
    return { value: fileOf(id), files: { written: [{ n: 0, size: 3, sha256: 'a'.repeat(64), name: `out-${id}` }], deleted: [], exported: [] } }
  return { value: `read ${String((input as { file: string }).file).slice(0, 10)}` }
}

test('a rewound job whose input names a file the store let go of sends back the job that wrote it, saying so', () => {
  const run = new SimulatedRun(targetSpec('root', null))
  run.drive(files)
  // The run over, nothing can read the writer's file: it was released.
  assert.equal(run.state.liveFiles, 0)
  const plan = planRewind(run.state, rewindInput(run, { jobs: [2] }))
  assert.deepEqual(ids(plan.event), [1, 2])
  assert.deepEqual(plan.widened, [{ jobId: 1, why: "job 2's input (through job 1's value) names file out-1, which job 1 wrote and the store no longer holds" }])
  run.decideAndApply(rewindInput(run, { jobs: [2] }))
  assert.deepEqual(sorted(run.drive(files)), [1, 2])
  assert.equal(run.state.finished?.ok, true)
})

test('with the files kept, only the reader runs again; rewinding the writer makes its file invisible', () => {
  const run = new SimulatedRun(targetSpec('root', null), { ...simulatedConfig, keepFiles: true })
  run.drive(files)
  assert.equal(run.state.liveFiles, 1)
  const plan = planRewind(run.state, rewindInput(run, { jobs: [2] }))
  assert.deepEqual(ids(plan.event), [2])
  assert.deepEqual(plan.files, [])
  const writer = planRewind(run.state, rewindInput(run, { jobs: [1] }))
  assert.deepEqual(ids(writer.event), [1, 2])
  assert.deepEqual(writer.files, [fileOf(1)])
  assert.equal(evolve(run.state, writer.event).liveFiles, 0)
})

// The property. A node's input is its path in the tree; what it does follows from a hash of the path.
function hash(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0
  return h
}

function sumOf(value: unknown): number {
  if (typeof value === 'number') return value
  if (Array.isArray(value)) return value.reduce((a: number, v) => a + sumOf(v), 0)
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((a: number, v) => a + sumOf(v), 0)
  return 0
}

/** Random trees: a node adds children, and either sums them in a follow-on or returns their promises; `changed` is the node whose code was fixed. */
function randomTree(seed: number, changed?: string): Behaviour {
  return (_id, target, input) => {
    const { path, xs } = input as { path: string; xs?: unknown }
    const h = hash(`${seed}:${path}`)
    const bump = path === changed ? 1000 : 0
    if (target === 'sum') return { value: sumOf(xs) + bump + 1 }
    const depth = path.split('.').length
    if (depth > 4 || (depth > 1 && h % 4 === 0)) return { value: (h % 97) + bump }
    const n = 1 + (h % 3)
    const kids = Array.from({ length: n }, (_, i) => child('node', { path: `${path}.${i}` }))
    // Some children read a sibling's value.
    if (h % 5 === 1 && n > 1) kids[n - 1] = child('sum', { path: `${path}.s`, xs: [local(0)] })
    if (h % 2 === 0) return { successors: [...kids, followOn('sum', { path: `${path}.f`, xs: kids.map((_, i) => local(i)) })], value: local(n) }
    return { successors: kids, value: { bump, kids: kids.map((_, i) => local(i)) } }
  }
}

test("property: a rewound job and what depends on it run again, nothing else, and the result is a fresh run's", () => {
  for (let seed = 1; seed <= 100; seed++) {
    const root: JobSpec = targetSpec('node', { path: 'r' })
    const first = new SimulatedRun(root)
    first.drive(randomTree(seed))
    const paths = new Map<number, string>()
    for (const [id, j] of first.history()) if (j.spec.work.kind === 'target') paths.set(id, (j.spec.work.input as { path: string }).path)
    const pick = [...paths.keys()][hash(`pick${seed}`) % paths.size]
    const changed = paths.get(pick) as string
    const expected = new SimulatedRun(root)
    expected.drive(randomTree(seed, changed))

    const run = new SimulatedRun(root)
    run.drive(randomTree(seed))
    const before = run.state.nextJobId
    const e = rewind(run, { jobs: [pick] })
    const reset = new Set(ids(e))
    assert.ok(reset.has(pick), `seed ${seed}: the job asked for runs again`)
    const again = run.drive(randomTree(seed, changed))
    const newJobs = again.filter((id) => id >= before)
    assert.deepEqual(sorted(again.filter((id) => id < before)), sorted([...reset]), `seed ${seed}: exactly the rewound jobs ran again`)
    assert.equal(newJobs.length, again.length - reset.size)
    for (const id of discarded(e)) assert.ok(!again.includes(id), `seed ${seed}: discarded job ${id} did not run`)
    assert.deepEqual(run.result(), expected.result(), `seed ${seed}: rewinding job ${pick} (${changed})`)
    assert.equal(run.state.finished?.ok, true)
    assert.equal([...run.state.jobs.entries()].length, 0, `seed ${seed}: every job completed`)
    assert.equal(run.state.counts.total, run.state.counts.succeeded)

    // And back to a random event of the first run, with the code unchanged: its result again.
    const to = new SimulatedRun(root)
    to.drive(randomTree(seed))
    const seq = 3 + (hash(`seq${seed}`) % (to.log.length - 3))
    try {
      rewind(to, { toSeq: seq })
    } catch (err) {
      if (err instanceof RewindRefused && /no job changed/.test(err.message)) continue
      throw err
    }
    to.drive(randomTree(seed))
    assert.deepEqual(to.result(), first.result(), `seed ${seed}: rewound to event ${seq}`)
  }
})
