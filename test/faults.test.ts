// Faults on real processes: over-long jobs, memory hogs, signals, `jobtree
// kill`, retry backoff, and a torn write at the log's tail.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { leaderStatus } from '../src/audit/statusReport.ts'
import { storePaths } from '../src/store/store.ts'
import type { JobEvent } from '../src/events/catalogue.ts'
import { finished, jobtree, readEvents, scratch, startJobtree } from './helpers/cli.ts'
import { eventually, isDead } from './helpers/processes.ts'

const FIXTURE = 'test/fixtures/faultTargets.ts'
const quiet = ['--no-progress', '--log-level', 'warn']

function reasons(events: JobEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'JobFailed' ? [e.reason.kind] : []))
}

/** Waits until the running leader of `store` has issued something. */
async function untilIssued(store: string, atLeast = 1): Promise<void> {
  await eventually(
    'the leader has issued jobs',
    async () => {
      try {
        return (await leaderStatus(storePaths(store))).counts.issued >= atLeast
      } catch {
        return false
      }
    },
    30_000,
  )
}

test('faults: a command running past --max-job-duration is killed (whole process group) and retried, then fails', async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const pidFile = join(dir, 'pid')
  const r = await jobtree([
    'run',
    FIXTURE,
    '--target',
    'hangingCommand',
    '--store',
    store,
    '--input',
    JSON.stringify({ pidFile }),
    '--max-job-duration',
    '3',
    '--rescue-frequency',
    '0.25',
    '--retry-count',
    '1',
    ...quiet,
  ])
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /job 1 \(command: \/bin\/sh -c .*\) failed completely after 2 failed attempt\(s\): killed after running \d+ s, over its limit of 3 s/)
  assert.deepEqual(reasons(await readEvents(store)), ['timeout', 'timeout'])
  const pid = Number(readFileSync(pidFile, 'utf8'))
  await eventually('the hanging sleep is gone', () => isDead(pid))
})

test('faults: what a command job left running is ended with it, whether it succeeded, failed or was killed for its time', async (t) => {
  const dir = scratch(t)
  const pidFile = join(dir, 'pids')
  try {
    const store = join(dir, 'store')
    const r = await jobtree([
      'run',
      FIXTURE,
      '--target',
      'leavesSleeps',
      '--store',
      store,
      '--input',
      JSON.stringify({ pidFile }),
      '--max-job-duration',
      '3',
      '--rescue-frequency',
      '0.25',
      '--retry-count',
      '0',
      ...quiet,
    ])
    assert.equal(r.code, 1, r.stderr)
    assert.deepEqual(reasons(await readEvents(store)).sort(), ['exit', 'timeout'])
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number)
    assert.equal(pids.length, 6, `three commands, two sleeps each: ${pids.join(' ')}`)
    await eventually('no sleep a command left is alive', () => pids.every(isDead))
  } finally {
    // Without the fix they would sleep on: leave nothing behind either way.
    if (existsSync(pidFile)) for (const pid of readFileSync(pidFile, 'utf8').trim().split('\n').map(Number)) if (!isDead(pid)) process.kill(pid, 'SIGKILL')
  }
})

test('faults: a target running past its declared time × --time-limit-factor is killed', async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const r = await jobtree([
    'run',
    FIXTURE,
    '--target',
    'hangingTarget',
    '--store',
    store,
    '--time-limit-factor',
    '1.5',
    '--rescue-frequency',
    '0.25',
    '--retry-count',
    '0',
    ...quiet,
  ])
  assert.equal(r.code, 1, r.stderr)
  const failed = (await readEvents(store)).find((e) => e.type === 'JobFailed')
  assert.ok(failed?.type === 'JobFailed' && failed.reason.kind === 'timeout' && failed.reason.limitSeconds === 1.5, JSON.stringify(failed))
})

test('faults: a job using far more memory than it asked for is killed and reported as out of memory', async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const r = await jobtree(['run', FIXTURE, '--target', 'hog', '--store', store, '--input', '{"mb":400}', '--retry-count', '0', ...quiet])
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /killed for using \d+(\.\d)?M of memory when it asked for 64M: ask for more memory/)
  const status = await jobtree(['status', store])
  assert.equal(status.code, 0)
  assert.match(status.stdout, /failed: job 0 \(hog\) after 1 failed attempt\(s\): killed for using .* ask for more memory/)
})

for (const how of ['SIGINT', 'jobtree kill'] as const) {
  test(`faults: ${how} stops the run cleanly, records it, kills the jobs, and --restart finishes it`, async (t) => {
    const dir = scratch(t)
    const store = join(dir, 'store')
    const args = ['run', FIXTURE, '--target', 'slowFan', '--store', store, '--input', JSON.stringify({ n: 12, ms: 400, dir }), ...quiet]
    const leader = startJobtree(args)
    const result = finished(leader)
    try {
      await untilIssued(store, 2)
      if (how === 'SIGINT') leader.kill('SIGINT')
      else {
        const k = await jobtree(['kill', store])
        assert.equal(k.code, 0, k.stderr)
        assert.match(k.stderr, /stopped; resume with/)
      }
      const r = await result
      assert.equal(r.code, 130, r.stderr)
    } finally {
      if (leader.exitCode === null && leader.signalCode === null) leader.kill('SIGKILL')
    }
    const events = await readEvents(store)
    const stop = events.findIndex((e) => e.type === 'WorkflowInterrupted')
    assert.ok(stop >= 0, 'WorkflowInterrupted recorded')
    assert.ok(
      events.slice(stop + 1).every((e) => e.type === 'JobAbandoned'),
      'only abandonments follow it',
    )
    assert.ok(!existsSync(join(store, 'leader.sock')), 'the endpoint is gone')
    const restarted = await jobtree([...args, '--restart'])
    assert.equal(restarted.code, 0, restarted.stderr)
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('leaf-')).length, 12)
  })
}

test('faults: --retry-backoff spaces the retries, doubling', async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const r = await jobtree([
    'run',
    FIXTURE,
    '--target',
    'failsAtFirst',
    '--store',
    store,
    '--input',
    '{"failures":2}',
    '--retry-count',
    '2',
    '--retry-backoff',
    '0.3',
    ...quiet,
  ])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.trim(), '3')
  const events = await readEvents(store)
  const retries = events.filter((e) => e.type === 'JobRetried')
  assert.deepEqual(
    retries.map((e) => (e.notBefore ?? 0) - e.at),
    [300, 600],
  )
  const issues = events.filter((e) => e.type === 'JobIssued')
  assert.equal(issues.length, 3)
  for (const [i, retry] of retries.entries()) assert.ok(issues[i + 1].at >= (retry.notBefore ?? Infinity), 'no retry before its time')
})

/**
 * Runs slowFan in `dir`, SIGKILLs the leader once `leaves` of its jobs have
 * finished, and returns the store, the run's arguments and the newest
 * LevelDB write-ahead file, which holds the latest appends.
 */
async function killMidRun(dir: string, fan: { n: number; ms: number }, leaves: number): Promise<{ store: string; args: string[]; walPath: string }> {
  const store = join(dir, 'store')
  const args = ['run', FIXTURE, '--target', 'slowFan', '--store', store, '--input', JSON.stringify({ ...fan, dir }), ...quiet]
  const leader = startJobtree(args)
  const result = finished(leader)
  await untilIssued(store, 2)
  await eventually(`${leaves} jobs finished`, () => readdirSync(dir).filter((f) => f.startsWith('leaf-')).length >= leaves, 60_000)
  leader.kill('SIGKILL')
  await result
  const events = join(store, 'events')
  const wal = readdirSync(events)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .at(-1)
  assert.ok(wal !== undefined, 'a write-ahead file exists')
  return { store, args, walPath: join(events, wal) }
}

test("faults: a torn write at the log's tail loses no synced event, and the run completes", async (t) => {
  const dir = scratch(t)
  const { store, args, walPath } = await killMidRun(dir, { n: 20, ms: 100 }, 4)
  // LevelDB's write-ahead file holds the newest appends; cut its last record short, as a crash mid-write would.
  const size = statSync(walPath).size
  assert.ok(size > 100, `the write-ahead file has appends (${size} bytes)`)
  truncateSync(walPath, size - 7)
  const survived = await readEvents(store)
  assert.ok(survived.length > 0)
  const restarted = await jobtree([...args, '--restart'])
  assert.equal(restarted.code, 0, restarted.stderr)
  const after = await readEvents(store)
  assert.deepEqual(after.slice(0, survived.length), survived, 'every event that survived the tear is still there, in order')
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('leaf-')).length, 20)
})

test('faults: damage in the middle of the log is refused with a clear error, never papered over', async (t) => {
  const dir = scratch(t)
  const { store, args, walPath } = await killMidRun(dir, { n: 1500, ms: 1 }, 700)
  const bytes = readFileSync(walPath)
  // LevelDB's write-ahead file is made of 32 KiB blocks and skips a damaged
  // one; damage the second of at least three, so that events follow the hole.
  const BLOCK = 32 * 1024
  assert.ok(bytes.length > 3 * BLOCK, `the write-ahead file has three blocks (${bytes.length} bytes)`)
  for (let i = BLOCK + 1000; i < BLOCK + 1064; i++) bytes[i] ^= 0xff
  writeFileSync(walPath, bytes)
  for (const command of [
    ['status', store],
    [...args, '--restart'],
  ]) {
    const r = await jobtree(command)
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^jobtree: error: the log in \S+ is damaged: events \d+ to \d+ are missing\n$/)
  }
})
