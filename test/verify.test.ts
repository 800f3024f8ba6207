// The determinism check rebuilds every kind of input from the events it
// caused: rescues (lost and over-long attempts), backoffs, interrupts,
// restarts and deadlocks, written here by the real decider.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { JobEvent, JobSpec, RunConfig } from '../src/events/catalogue.ts'
import { makeToken } from '../src/events/promise.ts'
import { decide } from '../src/decider/decide.ts'
import { EventSource } from '../src/audit/eventSource.ts'
import type { Input } from '../src/decider/inputs.ts'
import { createStore } from '../src/store/store.ts'
import { verifyLog } from '../src/audit/verify.ts'
import { evolve } from '../src/decider/jobTree.ts'
import { initialState } from '../src/decider/jobTreeState.ts'
import { scratch } from './helpers/cli.ts'

const t = 1_700_000_000_000
const config: RunConfig = { retryCount: 1, maxJobs: 10, maxCores: 2, maxMemory: 2 ** 30, maxDisk: 2 ** 30, maxJobDuration: 5, retryBackoff: 1 }
const spec = (target: string, input: unknown = null): JobSpec => ({
  work: { kind: 'target', target, input },
  resources: { cores: 1, memory: 1, disk: 1, time: 0 },
})
const stats = { wallMs: 5, cpuMs: 1, maxRss: 0 }

/** The events a leader deciding on `inputs` one after another would record. */
function record(inputs: Input[]): JobEvent[] {
  let state = initialState
  const events: JobEvent[] = []
  for (const input of inputs) {
    for (const e of decide(state, input)) {
      state = evolve(state, e)
      events.push(e)
    }
  }
  return events
}

async function verified(dir: string, events: JobEvent[]) {
  const store = await createStore(join(dir, 'store'))
  await store.log.append(events)
  await store.log.close()
  const source = await EventSource.open(join(dir, 'store'))
  try {
    return await verifyLog(source, {})
  } finally {
    await source.close()
  }
}

test('verify: rescues, backoffs, an interrupt and a restart are rebuilt and decided again', async (ctx) => {
  const dir = scratch(ctx)
  const events = record([
    { type: 'Start', now: t, runId: 'r', module: '/m.ts', target: 'root', root: spec('root'), config },
    { type: 'Schedule', now: t },
    {
      type: 'AttemptSucceeded',
      now: t + 10,
      jobId: 0,
      attempt: 1,
      value: makeToken({ local: 2, path: [] }),
      messages: ['three'],
      stats,
      successors: [
        { relation: 'child', spec: spec('a') },
        { relation: 'followOn', spec: spec('f', makeToken({ local: 0, path: ['x'] })) },
        { relation: 'child', spec: spec('b') },
      ],
    },
    { type: 'Schedule', now: t + 10 },
    // Job 1 has run 10 s, over the 5 s limit; job 2's attempt is unknown to the batch system.
    { type: 'Rescue', now: t + 10_010, held: [{ jobId: 1, attempt: 1, ranMs: 10_000 }] },
    { type: 'Schedule', now: t + 10_500 },
    { type: 'Schedule', now: t + 12_000 },
    { type: 'AttemptFailed', now: t + 12_100, jobId: 1, attempt: 2, reason: { kind: 'exit', code: 3 }, messages: [], stats },
    { type: 'Interrupt', now: t + 12_200, reason: 'a test' },
    { type: 'Resume', now: t + 20_000, config },
    { type: 'Schedule', now: t + 20_000 },
  ])
  const types = events.map((e) => e.type)
  for (const type of ['JobBackoffElapsed', 'JobFailedCompletely', 'WorkflowInterrupted', 'JobAbandoned', 'WorkflowResumed', 'JobRevived'] as const) {
    assert.ok(types.includes(type), `the log has a ${type}`)
  }
  const reasons = events.flatMap((e) => (e.type === 'JobFailed' ? [e.reason.kind] : []))
  assert.deepEqual(reasons, ['timeout', 'lost', 'exit'])
  const result = await verified(dir, events)
  assert.equal(result.divergence, null, JSON.stringify(result.divergence))
  assert.equal(result.events, events.length)
  assert.equal(result.inputs, 10, 'every input that recorded something; the schedule with nothing to do left no trace')
})

test('verify: a deadlock broken by the scheduler, and a run that ends failed', async (ctx) => {
  const dir = scratch(ctx)
  // A child given its own parent's follow-on's value: neither can ever run.
  const events = record([
    { type: 'Start', now: t, runId: 'r', module: '/m.ts', target: 'root', root: spec('root'), config },
    { type: 'Schedule', now: t },
    {
      type: 'AttemptSucceeded',
      now: t + 5,
      jobId: 0,
      attempt: 1,
      value: null,
      messages: [],
      stats,
      successors: [
        { relation: 'child', spec: spec('a', makeToken({ local: 1, path: [] })) },
        { relation: 'followOn', spec: spec('f') },
      ],
    },
    { type: 'Schedule', now: t + 5 },
    { type: 'Schedule', now: t + 6 },
  ])
  assert.ok(events.some((e) => e.type === 'JobFailed' && e.reason.kind === 'deadlock'))
  assert.equal(events.at(-1)?.type, 'WorkflowFinished')
  const result = await verified(dir, events)
  assert.equal(result.divergence, null, JSON.stringify(result.divergence))
  assert.equal(result.events, events.length)
})

test('verify: a decision the decider would not take is named, with the input rebuilt for it', async (ctx) => {
  const dir = scratch(ctx)
  const events = record([
    { type: 'Start', now: t, runId: 'r', module: '/m.ts', target: 'root', root: spec('root'), config },
    { type: 'Schedule', now: t },
  ])
  // A job issued that was never created.
  events.push({ type: 'JobIssued', v: 1, at: t + 1, jobId: 5, attempt: 1, epoch: 1 })
  const result = await verified(dir, events)
  assert.equal(result.divergence?.seq, 4)
  assert.equal(result.divergence?.input?.type, 'Schedule')
  assert.match(result.divergence?.why ?? '', /decide gives no event/)
  assert.equal(result.events, 3)
})
