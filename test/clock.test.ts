// Time limits and recorded times against a leader that is frozen and a wall
// clock that jumps (issue 17). The leader is SIGSTOPped for real; the wall
// clock is stepped through the file the leader's clock reads its offset from
// in tests (src/clock.ts), since the machine's own clock is not ours
// to step. Each run is then audited: `replay --verify` must rebuild its log,
// and no duration `stats` or `replay` prints may be negative.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { TEST_CLOCK_OFFSET_ENV } from '../src/clock.ts'
import { finished, jobtree, readEvents, scratch, sleep, startJobtree } from './helpers/cli.ts'
import { freezeWhileJobEnds } from './helpers/frozenLeader.ts'
import { eventually } from './helpers/processes.ts'

const FAULTS = 'test/fixtures/faultTargets.ts'
const HOUR = 3_600_000

function failures(events: Awaited<ReturnType<typeof readEvents>>): string[] {
  return events.flatMap((e) => (e.type === 'JobFailed' ? [JSON.stringify(e.reason)] : []))
}

/** Every duration in a `stats --json` report (keys ending in Ms), with its path. */
function durations(value: unknown, path = ''): Array<[string, number]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => durations(v, `${path}[${i}]`))
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(
    ([k, v]): Array<[string, number]> => (typeof v === 'number' ? (k.endsWith('Ms') ? [[`${path}.${k}`, v]] : []) : durations(v, `${path}.${k}`)),
  )
}

/** The run's log verifies, and neither `stats` nor `replay` prints a negative duration. */
async function audited(store: string): Promise<void> {
  const verify = await jobtree(['replay', store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  const stats = await jobtree(['stats', store, '--json'])
  assert.equal(stats.code, 0, stats.stderr)
  assert.deepEqual(
    durations(JSON.parse(stats.stdout)).filter(([, ms]) => ms < 0),
    [],
  )
  const negative = /-\d+(\.\d+)? (ms|s)\b|-\d+m \d+s|-\d+h \d+m/
  for (const args of [
    ['stats', store],
    ['replay', store],
    ['replay', store, '--job', '0'],
  ]) {
    const r = await jobtree(args)
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stdout, negative, `jobtree ${args.join(' ')}`)
  }
}

test('a leader frozen past --max-job-duration while its job finishes records the job finished, not timed out', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t, 'jobtree-clock-freeze-')
  const store = join(dir, 'store')
  const { result, events } = await freezeWhileJobEnds(dir, store, ['--no-progress', '--log-level', 'warn'])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(failures(events), [])
  assert.equal(events.filter((e) => e.type === 'JobFinished').length, 1)
  await audited(store)
})

test('a wall-clock step of +1 h during a 6 s job does not kill it under --max-job-duration 20', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t, 'jobtree-clock-ahead-')
  const store = join(dir, 'store')
  const offset = join(dir, 'clock-offset')
  const leader = startJobtree(
    [
      'run',
      FAULTS,
      '--target',
      'markedNap',
      '--store',
      store,
      '--input',
      JSON.stringify({ ms: 6000, dir }),
      '--max-job-duration',
      '20',
      '--rescue-frequency',
      '0.5',
      '--retry-count',
      '0',
      '--no-progress',
      '--log-level',
      'warn',
    ],
    undefined,
    { [TEST_CLOCK_OFFSET_ENV]: offset },
  )
  const ended = finished(leader)
  await eventually('the job starts', () => existsSync(join(dir, 'running')), 30_000)
  await sleep(1000)
  writeFileSync(offset, String(HOUR))
  const r = await ended
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(failures(await readEvents(store)), [])
  await audited(store)
})

test('wall-clock steps of -1 h, one while a leader runs and one before its restart, give no time recorded out of order and no negative duration', {
  timeout: 90_000,
}, async (t) => {
  const dir = scratch(t, 'jobtree-clock-behind-')
  const store = join(dir, 'store')
  const offset = join(dir, 'clock-offset')
  const running = join(dir, 'running')
  const args = [
    'run',
    FAULTS,
    '--target',
    'markedNap',
    '--store',
    store,
    '--input',
    JSON.stringify({ ms: 2000, dir }),
    '--max-job-duration',
    '20',
    '--rescue-frequency',
    '0.5',
    '--retry-count',
    '0',
    '--no-progress',
    '--log-level',
    'warn',
  ]
  const env = { [TEST_CLOCK_OFFSET_ENV]: offset }
  const first = startJobtree(args, undefined, env)
  const crashed = finished(first)
  await eventually('the job starts', () => existsSync(running), 30_000)
  first.kill('SIGKILL')
  await crashed
  // The restarted leader starts with the wall clock an hour behind the log, and it steps back another hour while the job runs.
  writeFileSync(offset, String(-HOUR))
  rmSync(running)
  const second = startJobtree([...args, '--restart'], undefined, env)
  const ended = finished(second)
  await eventually('the job starts again', () => existsSync(running), 30_000)
  writeFileSync(offset, String(-2 * HOUR))
  const r = await ended
  assert.equal(r.code, 0, r.stderr)
  const events = await readEvents(store)
  assert.deepEqual(failures(events), [])
  assert.ok(events.some((e) => e.type === 'WorkflowResumed'))
  for (let i = 1; i < events.length; i++) assert.ok(events[i].at >= events[i - 1].at, `event ${i + 1} (${events[i].type}) is recorded before the one before it`)
  await audited(store)
})
