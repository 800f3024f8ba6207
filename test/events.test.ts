// `jobtree events`, and the audit commands on a store whose leader is running.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { encodeEvent } from '../src/events/codec.ts'
import type { JobEvent } from '../src/events/catalogue.ts'
import { concernsJob } from '../src/events/jobsOf.ts'
import { recordedRun } from './helpers/audit.ts'
import { finished, jobtree, readEvents, scratch, startJobtree } from './helpers/cli.ts'

type Line = JobEvent & { seq: number }

const RUN = ['run', 'test/fixtures/auditWorkflow.ts', '--no-progress', '--log-level', 'error']

/** Waits until `status` counts at least `jobs` jobs succeeded. */
async function succeeded(store: string, jobs: number): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await jobtree(['status', store, '--json'])
    if (r.code === 0 && (JSON.parse(r.stdout) as { counts: { succeeded: number } }).counts.succeeded >= jobs) return
    assert.ok(i < 300, `${jobs} jobs succeeded in time`)
    await sleep(100)
  }
}

function lines(stdout: string): Line[] {
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line)
}

/** The events of `lines` as the log stores them, to compare with the log itself. */
function asStored(events: JobEvent[]): string[] {
  return events.map((e) => Buffer.from(encodeEvent(e)).toString('hex'))
}

test('events: the log as JSON lines, filtered by position, type and job', async (t) => {
  const dir = scratch(t)
  await recordedRun(dir, 'tree', 2)
  const store = join(dir, 'store')
  const log = await readEvents(store)
  const all = await jobtree(['events', store])
  assert.equal(all.code, 0, all.stderr)
  const parsed = lines(all.stdout)
  assert.deepEqual(
    parsed.map((l) => l.seq),
    log.map((_, i) => i + 1),
  )
  assert.deepEqual(
    parsed.map(({ seq: _seq, ...event }) => event),
    JSON.parse(JSON.stringify(log)),
  )

  const some = lines((await jobtree(['events', store, '--from', '3', '--to', '9'])).stdout)
  assert.deepEqual(
    some.map((l) => l.seq),
    [3, 4, 5, 6, 7, 8, 9],
  )
  const typed = lines((await jobtree(['events', store, '--type', 'JobIssued', '--type', 'JobRetried,JobFailed'])).stdout)
  assert.deepEqual(
    typed.map((l) => l.seq),
    parsed.filter((l) => ['JobIssued', 'JobRetried', 'JobFailed'].includes(l.type)).map((l) => l.seq),
  )
  const job3 = lines((await jobtree(['events', store, '--job', '3'])).stdout)
  assert.ok(job3.length >= 6)
  assert.ok(job3.every((l) => concernsJob(l, 3)))

  const bad = await jobtree(['events', store, '--type', 'JobExploded'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /unknown event type "JobExploded" \(known: WorkflowStarted, /)
})

test('events, stats and replay ask a running leader; --follow ends with the run and misses nothing', { timeout: 120_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const gate = join(dir, 'gate')
  const leaderDone = finished(startJobtree([...RUN, '--store', store, '--target', 'gated', '--input', JSON.stringify({ gate, leaves: 3 })]))
  // Until the three leaves are done and only the gate holds the run open.
  await succeeded(store, 4)
  const follower = startJobtree(['events', store, '--follow'])
  const followed = finished(follower)

  const stats = await jobtree(['stats', store, '--json'])
  assert.equal(stats.code, 0, stats.stderr)
  const live = JSON.parse(stats.stdout) as { live: boolean; totals: { jobs: number; succeeded: number } }
  assert.equal(live.live, true)
  assert.deepEqual([live.totals.jobs, live.totals.succeeded], [5, 4])
  const tree = JSON.parse((await jobtree(['replay', store, '--json'])).stdout) as {
    live: boolean
    finished: unknown
    jobs: Array<{ name: string; state: string }>
  }
  assert.equal(tree.live, true)
  assert.equal(tree.finished, null)
  assert.equal(tree.jobs.find((j) => j.name === 'waitForGate')?.state, 'issued')
  const verify = await jobtree(['replay', store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  const sofar = lines((await jobtree(['events', store])).stdout)
  assert.ok(sofar.length > 10)

  writeFileSync(gate, '')
  const run = await leaderDone
  assert.equal(run.code, 0, run.stderr)
  const f = await Promise.race([followed, sleep(20_000).then(() => undefined)])
  assert.ok(f !== undefined, 'events --follow ended when the run finished')
  assert.equal(f.code, 0, f.stderr)
  const log = await readEvents(store)
  const got = lines(f.stdout)
  assert.deepEqual(
    got.map((l) => l.seq),
    log.map((_, i) => i + 1),
    'every event once, in order',
  )
  assert.deepEqual(asStored(got.map(({ seq: _seq, ...e }) => e as JobEvent)), asStored(JSON.parse(JSON.stringify(log)) as JobEvent[]))
  assert.equal(got.at(-1)?.type, 'WorkflowFinished')
})

test('events --follow waits for the next leader without holding the store, and follows it', { timeout: 120_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const gate = join(dir, 'gate')
  const first = finished(startJobtree([...RUN, '--store', store, '--target', 'gated', '--input', JSON.stringify({ gate, leaves: 1 })]))
  await succeeded(store, 2)
  const kill = await jobtree(['kill', store])
  assert.equal(kill.code, 0, kill.stderr)
  assert.equal((await first).code, 130)
  const before = (await readEvents(store)).length

  const follower = startJobtree(['events', store, '--follow', '--type', 'WorkflowInterrupted,WorkflowResumed,WorkflowFinished'])
  const followed = finished(follower)
  await sleep(1500)
  writeFileSync(gate, '')
  const second = await jobtree([...RUN, '--store', store, '--restart'])
  assert.equal(second.code, 0, second.stderr)
  const f = await Promise.race([followed, sleep(20_000).then(() => undefined)])
  assert.ok(f !== undefined, 'the follower ended with the run')
  const got = lines(f.stdout)
  assert.deepEqual(
    got.map((l) => l.type),
    ['WorkflowInterrupted', 'WorkflowResumed', 'WorkflowFinished'],
  )
  assert.ok(got[0].seq <= before && got[1].seq > before)
})
