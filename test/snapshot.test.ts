// Snapshots never change the answer: replay to any position gives the state
// the leader had there, with snapshots and without.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { EventLog } from '../src/store/log.ts'
import { replay } from '../src/store/replay.ts'
import { decide } from '../src/decider/decide.ts'
import type { Input } from '../src/decider/inputs.ts'
import { encodeSnapshot, loadSnapshot, Snapshotter } from '../src/store/snapshots.ts'
import { evolve } from '../src/decider/jobTree.ts'
import { initialState } from '../src/decider/jobTreeState.ts'
import type { JobEvent } from '../src/events/catalogue.ts'
import { encodeState, decodeState, stateParts } from '../src/decider/stateCodec.ts'
import { recordedRun, stateDigest } from './helpers/audit.ts'
import { scratch } from './helpers/cli.ts'

test("snapshot: replay to every position equals the leader's state, with and without snapshots", async (t) => {
  const dir = scratch(t)
  const { outcome, digests } = await recordedRun(dir, 'tree', 6, { snapshotEvery: 5 })
  assert.equal(outcome.ok, true)
  assert.equal(outcome.value, 150 + 1070) // 10 × (0+…+5), and the flaky parent's grandchild: (7+100) × 10
  const log = await EventLog.open(join(dir, 'store', 'events'), false)
  try {
    const taken: number[] = []
    for await (const { seq } of log.snapshots()) taken.push(seq)
    assert.equal(taken.length, 2, 'the leader took snapshots and kept the two newest')
    assert.ok(digests.size >= 10, `the run committed in many batches (${digests.size})`)
    // Every batch boundary: the leader's own state, from the log alone and from the leader's snapshots.
    for (const [seq, digest] of digests) {
      assert.equal(stateDigest(await replay(log, seq, { snapshots: false })), digest, `full replay to ${seq}`)
      assert.equal(stateDigest(await replay(log, seq)), digest, `replay to ${seq} from a snapshot`)
    }
    assert.equal((await loadSnapshot(log))?.seq, taken[0])
    // Every position, boundaries or not: a snapshot there, then the events after it, give the state the whole log gives.
    const full: Uint8Array[] = [encodeState(await replay(log, 0, { snapshots: false }))]
    const events: JobEvent[] = []
    for await (const r of log.read()) {
      events.push(r.event)
      full.push(encodeState(await replay(log, r.seq, { snapshots: false })))
    }
    for (let p = 1; p <= log.lastSeq; p++) {
      const { head, parts } = encodeSnapshot(await loadAt(log, p), events[p - 1])
      await log.putSnapshot(p, head, parts, Infinity)
      for (let q = p; q <= Math.min(log.lastSeq, p + 8); q++) {
        assert.equal(Buffer.compare(encodeState(await replay(log, q)), full[q]), 0, `from a snapshot at ${p} to ${q}`)
      }
    }
  } finally {
    await log.close()
  }
})

/** The state after event `p`, from the whole log. */
function loadAt(log: EventLog, p: number) {
  return replay(log, p, { snapshots: false })
}

test('snapshot: the encoding is canonical and decodes to an equal state', async (t) => {
  const dir = scratch(t)
  await recordedRun(dir, 'tree', 3, { snapshotEvery: 0 })
  const log = await EventLog.open(join(dir, 'store', 'events'), false)
  try {
    for await (const _ of log.snapshots()) assert.fail('snapshotEvery 0 takes none')
    for (const seq of [3, 10, log.lastSeq]) {
      const state = await replay(log, seq)
      const bytes = encodeState(state)
      const back = decodeState([...stateParts(state)])
      assert.ok(back !== undefined)
      assert.equal(Buffer.compare(encodeState(back), bytes), 0)
      assert.deepEqual(back.counts, state.counts)
      assert.deepEqual([...back.jobs.entries()], [...state.jobs.entries()])
    }
  } finally {
    await log.close()
  }
})

test('snapshot: one that no longer matches its event, or lies past the end, is passed over', async (t) => {
  const dir = scratch(t)
  await recordedRun(dir, 'tree', 3, { snapshotEvery: 0 })
  const path = join(dir, 'store', 'events')
  let log = await EventLog.open(path, false)
  const last = log.lastSeq
  const at10 = await replay(log, 10)
  const events: JobEvent[] = []
  for await (const r of log.read(1, 10)) events.push(r.event)
  const { head, parts } = encodeSnapshot(at10, events[9])
  await log.putSnapshot(10, encodeSnapshot(at10, events[8]).head, parts)
  assert.equal(await loadSnapshot(log), undefined, 'a snapshot whose event digest differs is not used')
  await log.putSnapshot(10, head, parts.slice(1))
  assert.equal(await loadSnapshot(log), undefined, 'a snapshot missing a part is not used')
  const damaged = parts.map((p) => new Uint8Array(p))
  damaged[0][damaged[0].length >> 1] ^= 1
  await log.putSnapshot(10, head, damaged)
  assert.equal(await loadSnapshot(log), undefined, 'a snapshot with a damaged part is not used')
  await log.putSnapshot(10, head, parts)
  assert.equal((await loadSnapshot(log))?.seq, 10)
  await log.putSnapshot(last + 5, head, parts)
  await log.close()
  log = await EventLog.open(path, false)
  try {
    const seqs: number[] = []
    for await (const r of log.snapshots()) seqs.push(r.seq)
    assert.deepEqual(seqs, [10], 'the snapshot past the end was removed on opening')
    assert.equal(stateDigest(await replay(log)), stateDigest(await replay(log, Infinity, { snapshots: false })))
  } finally {
    await log.close()
  }
})

test('snapshot: a trie built from entries equals one built by sets', async () => {
  const { PVec } = await import('../src/decider/pvec.ts')
  const ids = [0, 5, 31, 32, 1023, 1024, 40_000, 1_048_576]
  let bySet = PVec.empty<number>()
  for (const id of ids) bySet = bySet.set(id, id + 1)
  const built = PVec.fromFlat(
    [
      ['x', ...ids.slice(4).flatMap((id) => [id, id + 1])],
      [
        'y',
        ...ids
          .slice(0, 4)
          .reverse()
          .flatMap((id) => [id, id + 1]),
      ],
    ],
    1,
  )
  assert.deepEqual([...built.entries()], [...bySet.entries()])
  for (const id of ids) assert.equal(built.get(id), id + 1)
  assert.equal(built.get(6), undefined)
  assert.equal(built.set(7, 1).get(7), 1)
  assert.equal(built.get(7), undefined, 'a built trie is persistent like any other')
})

test('snapshot: a stopping leader takes one of its last state when many events came after the newest', async (t) => {
  const dir = scratch(t)
  const log = await EventLog.open(join(dir, 'db'), true)
  const snapshots = new Snapshotter(log, 1_000_000)
  const spec = (n: number) => ({ work: { kind: 'target' as const, target: 't', input: n }, resources: { cores: 1, memory: 1, disk: 1, time: 0 } })
  const config = { retryCount: 0, maxJobs: 100, maxCores: 1, maxMemory: 1, maxDisk: 1 }
  let state = initialState
  const commit = async (inputs: Input[]) => {
    const events: JobEvent[] = []
    for (const input of inputs) {
      for (const e of decide(state, input)) {
        events.push(e)
        state = evolve(state, e)
      }
    }
    await log.append(events)
    snapshots.committed(state, events, log.lastSeq)
  }
  const stats = { wallMs: 1, cpuMs: 1, maxRss: 0 }
  await commit([
    { type: 'Start', now: 1, runId: 'r', module: '/m.ts', target: 't', root: spec(0), config },
    { type: 'Schedule', now: 1 },
  ])
  await commit([
    {
      type: 'AttemptSucceeded',
      now: 2,
      jobId: 0,
      attempt: 1,
      value: 0,
      messages: [],
      stats,
      successors: Array.from({ length: 600 }, (_, i) => ({ relation: 'child' as const, spec: spec(i + 1) })),
    },
    { type: 'Schedule', now: 2 },
  ])
  for (let id = 1; id <= 300; id++)
    await commit([
      { type: 'AttemptSucceeded', now: 3, jobId: id, attempt: 1, value: id, messages: [], stats, successors: [] },
      { type: 'Schedule', now: 3 },
    ])
  assert.ok(log.lastSeq > 1000)
  for await (const _ of log.snapshots()) assert.fail('no periodic snapshot at this interval')
  await snapshots.finish()
  assert.equal((await loadSnapshot(log))?.seq, log.lastSeq)
  assert.equal(stateDigest(await replay(log)), stateDigest(state))
  assert.equal(stateDigest(await replay(log, Infinity, { snapshots: false })), stateDigest(state))
  await log.close()
})
