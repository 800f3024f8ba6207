// `jobtree stats` on a run of sleeping jobs whose durations are known.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { StatsReport } from '../src/audit/stats.ts'
import type { NapsInput } from './fixtures/auditWorkflow.ts'
import { jobtree, scratch } from './helpers/cli.ts'

// On two cores, after two warm-up jobs that start both workers (a worker's
// first attempt includes importing the workflow module): naps of 400, 800 and
// 1200 ms and a spin of 300 ms of CPU as children, two at a time (the 1200 ms
// nap waits for the 400 ms one, the spin for the 800 ms one), then a 500 ms
// nap as the follow-on.
const input: NapsInput = { children: [400, 800, 1200], spin: 300, followOn: 500, warmUp: true }

function within(value: number, low: number, high: number, what: string): void {
  assert.ok(value >= low && value <= high, `${what}: ${value} is not within [${low}, ${high}]`)
}

test('stats: per-target spreads, waits, CPU, the critical path and lost time, from a run with known durations', async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const run = await jobtree([
    'run',
    'test/fixtures/auditWorkflow.ts',
    '--target',
    'naps',
    '--input',
    JSON.stringify(input),
    '--store',
    store,
    '--max-cores',
    '2',
    '--no-progress',
    '--log-level',
    'warn',
  ])
  assert.equal(run.code, 0, run.stderr)
  const r = await jobtree(['stats', store, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const stats = JSON.parse(r.stdout) as StatsReport & { live: boolean }
  assert.equal(stats.live, false)
  assert.deepEqual(stats.totals, { ...stats.totals, jobs: 9, succeeded: 9, failed: 0, attempts: 9, failedAttempts: 0, retries: 0, leaders: 1 })

  const nap = stats.targets.find((t) => t.name === 'nap')
  assert.ok(nap)
  assert.equal(nap.jobs, 4)
  assert.equal(nap.wallMs.count, 4)
  // Sleeps overrun a little (timers, a busy machine), never underrun.
  within(nap.wallMs.min, 400, 550, 'shortest nap')
  within(nap.wallMs.max, 1200, 1350, 'longest nap')
  within(nap.wallMs.median, 650, 800, 'median nap (of 400, 500, 800, 1200)')
  within(nap.wallMs.mean, 725, 875, 'mean nap')
  within(nap.wallMs.total, 2900, 3300, 'all naps')
  assert.equal(stats.targets.find((t) => t.name === 'warmUp')?.jobs, 2)
  assert.ok(nap.cpuMs.max < 150, `naps sleep: ${nap.cpuMs.max} ms of CPU`)

  const spin = stats.targets.find((t) => t.name === 'spin')
  assert.ok(spin)
  within(spin.cpuMs.max, 300, 400, 'spin CPU')
  // Its process's CPU time counts V8's helper threads too, so it may pass the wall time a little.
  within(spin.wallMs.max, 0.8 * spin.cpuMs.max, 5000, 'spin wall')
  // The spin waited for a core until the 800 ms nap ended.
  within(spin.waitMs.max, 760, 3000, 'spin wait')
  // Of the naps, the 1200 ms one waited for the 400 ms one.
  within(nap.waitMs.max, 360, 3000, 'longest nap wait')
  within(spin.memory.max, 1, 2 ** 34, 'spin memory')

  // The root, a warm-up, the second naps, its 1200 ms nap, its follow-on: the chain that set the run's length.
  const path = stats.criticalPath
  assert.deepEqual(
    path.steps.map((step) => step.name),
    ['naps', 'warmUp', 'naps', 'nap', 'nap'],
  )
  within(path.steps[3].runMs, 1200, 1350, 'critical nap')
  within(path.steps[4].runMs, 500, 650, 'follow-on on the path')
  within(path.totalMs, 2100, stats.totals.elapsedMs + 1, 'critical path length')
  within(stats.totals.elapsedMs - path.totalMs, 0, 50, 'the path spans the run')
  assert.deepEqual(stats.lost, { failedAttempts: 0, wallMs: 0, abandonedAttempts: 0 })

  const text = await jobtree(['stats', store])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /^jobs: +9 created, 9 succeeded, 0 failed completely/m)
  assert.match(text.stdout, /^nap +4 +0 +wall +4\d\d ms +[67]\d\d ms +[78]\d\d ms +1\.\d\d s +[23]\.\d\d s$/m)
  assert.match(text.stdout, /^critical path: \d\.\d\d s .*5 attempt\(s\):$/m)
})

test('stats: time lost to failed attempts', async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const run = await jobtree([
    'run',
    'test/fixtures/auditWorkflow.ts',
    '--target',
    'tree',
    '--input',
    '2',
    '--store',
    store,
    '--no-progress',
    '--log-level',
    'error',
  ])
  assert.equal(run.code, 0, run.stderr)
  const stats = JSON.parse((await jobtree(['stats', store, '--json'])).stdout) as StatsReport
  assert.equal(stats.totals.failedAttempts, 1)
  assert.equal(stats.totals.retries, 1)
  assert.equal(stats.lost.failedAttempts, 1)
  assert.ok(stats.lost.wallMs >= 0)
  const flaky = stats.targets.find((t) => t.name === 'flakyParent')
  assert.deepEqual([flaky?.jobs, flaky?.failedAttempts], [1, 1])
  assert.ok(
    stats.targets.some((t) => t.name === 'command true'),
    'commands are grouped by program',
  )
})
