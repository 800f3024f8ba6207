import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { LocalBatchSystem, type LocalBatchOptions } from '../src/batch/local/localBatch.ts'
import type { AttemptFailed, AttemptSucceeded } from '../src/decider/inputs.ts'
import { batchSystemContract } from './helpers/batchContract.ts'
import { BatchHarness, batchScratch } from './helpers/batchHarness.ts'
import { eventually, isDead } from './helpers/processes.ts'

const LEADER = fileURLToPath(new URL('./fixtures/leaderThatDies.ts', import.meta.url))
const GiB = 2 ** 30

/** A test that fails, rather than hangs, if an outcome never comes. */
function it(name: string, fn: (t: TestContext) => Promise<void>): void {
  test(name, { timeout: 20_000 }, fn)
}

/** The local batch system under test, with 4 cores unless `opts` say otherwise. */
function local(t: TestContext, opts: Partial<LocalBatchOptions> = {}): BatchHarness<LocalBatchSystem> {
  return new BatchHarness(t, new LocalBatchSystem({ maxCores: 4, maxMemory: 64 * GiB, maxDisk: 64 * GiB, ...opts }), batchScratch())
}

batchSystemContract('local', { open: async () => new LocalBatchSystem({ maxCores: 4, maxMemory: 64 * GiB, maxDisk: 64 * GiB }), timeoutMs: 20_000 })

it('a log file past maxLogBytes keeps its newest lines', async (t) => {
  const h = local(t, { maxLogBytes: 1000 })
  const job = h.targetJob('chatty', 500)
  await h.succeeds(job)
  const log = readFileSync(job.logFile, 'utf8')
  assert.match(log, /^\[jobtree: log truncated: kept its last \d+ of \d+ bytes\]\nline \d+\n/)
  assert.ok(log.endsWith('line 499\n'))
  assert.ok(log.length < 1100)
})

it('a worker that dies is reported, and the next job runs on a fresh worker', async (t) => {
  const h = local(t, { maxCores: 1 })
  const before = await h.succeeds(h.targetJob('echo'))
  assert.deepEqual(await h.fails(h.targetJob('exits')), { kind: 'workerDied', code: 3, signal: null })
  const after = await h.succeeds(h.targetJob('echo'))
  assert.notEqual((after.value as { pid: number }).pid, (before.value as { pid: number }).pid)
})

it('a worker SIGKILLed from outside is reported as died, and its temp dir removed', async (t) => {
  const h = local(t)
  const pidFile = join(h.dir, 'worker.pid')
  const outcome = h.issue(h.targetJob('hang', pidFile))
  // The file exists, empty, a moment before its content is written.
  await eventually('the target wrote its pid', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '))
  const [pid, tempDir] = readFileSync(pidFile, 'utf8').split(' ')
  assert.ok(existsSync(tempDir))
  process.kill(Number(pid), 'SIGKILL')
  assert.deepEqual(((await outcome) as AttemptFailed).reason, { kind: 'workerDied', code: null, signal: 'SIGKILL' })
  assert.equal(existsSync(tempDir), false)
})

it('an error thrown outside the target fails the attempt and retires the worker', async (t) => {
  const h = local(t, { maxCores: 1 })
  const reason = await h.fails(h.targetJob('crashesLater'))
  assert.equal(reason.kind === 'exception' && reason.message, 'thrown outside the target')
  await h.succeeds(h.targetJob('echo'))
})

it('workers are reused across jobs', async (t) => {
  const h = local(t, { maxCores: 1 })
  const first = await h.succeeds(h.targetJob('echo'))
  const second = await h.succeeds(h.targetJob('echo'))
  assert.equal((first.value as { pid: number }).pid, (second.value as { pid: number }).pid)
})

it('jobs over the limits are unschedulable, reported asynchronously', async (t) => {
  const h = local(t, { maxCores: 2, maxMemory: 23.5 * GiB })
  const job = h.targetJob('echo', null, { cores: 4, memory: '30G' })
  const outcome = h.issue(job)
  assert.equal(h.outcomes.length, 0)
  const reason = ((await outcome) as AttemptFailed).reason
  assert.deepEqual(reason, {
    kind: 'unschedulable',
    message: 'asks for 4 cores but this machine allows 2 (--max-cores); asks for 30G of memory but at most 23.5G is allowed (--max-memory)',
  })
})

it('jobs are packed by cores: two-core jobs on two cores never overlap', async (t) => {
  const h = local(t, { maxCores: 2 })
  const file = join(h.dir, 'marks')
  await Promise.all(['a', 'b', 'c'].map((name) => h.succeeds(h.targetJob('mark', { file, name }, { cores: 2 }))))
  const marks = readFileSync(file, 'utf8').trim().split('\n')
  assert.equal(marks.length, 6)
  for (let i = 0; i < marks.length; i += 2) {
    assert.equal(marks[i].replace('start', 'end'), marks[i + 1], marks.join(', '))
  }
})

it('a small job is started past a big one that does not fit yet (backfill)', async (t) => {
  // Without backfill the first job would wait forever for the gate that only the third makes.
  const h = local(t, { maxCores: 2 })
  const gate = join(h.dir, 'gate')
  const waiting = h.succeeds(h.targetJob('waitFor', gate, { cores: 1 }))
  const big = h.succeeds(h.targetJob('echo', null, { cores: 2 }))
  const small = h.succeeds(h.targetJob('touch', gate, { cores: 1 }))
  await Promise.all([waiting, big, small])
  const order = h.outcomes.map((o) => o.jobId)
  assert.ok(order.indexOf(2) > order.indexOf(3), `big job finished before the small one: ${order}`)
})

it('kill() drops a queued job', async (t) => {
  const h = local(t, { maxCores: 1 })
  const gate = join(h.dir, 'gate')
  const running = h.issue(h.targetJob('waitFor', gate))
  const queued = h.targetJob('echo')
  h.batch.issue(queued)
  h.batch.kill(queued.jobId)
  writeFileSync(gate, '')
  await running
  await h.succeeds(h.targetJob('echo'))
  assert.equal(
    h.outcomes.some((o) => o.jobId === queued.jobId),
    false,
  )
})

it('a worker and its command do not outlive a leader that is SIGKILLed, nor does what the command put in a session of its own', async (t) => {
  const h = local(t)
  const pidFile = join(h.dir, 'pids')
  writeFileSync(pidFile, '')
  const leader = spawn(process.execPath, ['--import', 'tsx', LEADER, h.dir, pidFile], { stdio: 'inherit' })
  const leaderGone = new Promise((resolve) => leader.once('exit', resolve))
  await eventually('the command wrote its pids', () => readFileSync(pidFile, 'utf8').endsWith('\n'))
  const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number)
  leader.kill('SIGKILL')
  await leaderGone
  await eventually('the worker and the sleep are gone', () => pids.every(isDead))
})

it('shutdown ends the workers, and issue() does nothing afterwards', async (t) => {
  const h = local(t)
  const outcomes = await Promise.all([h.succeeds(h.targetJob('echo')), h.succeeds(h.targetJob('echo'))])
  const pids = outcomes.map((o) => (o.value as { pid: number }).pid)
  await h.batch.shutdown()
  for (const pid of pids) assert.ok(isDead(pid), `worker ${pid} still runs`)
  h.batch.issue(h.targetJob('echo'))
  await sleep(50)
  assert.equal(h.outcomes.length, 2)
})

it('chaining: a worker runs a lone successor itself, under the ids set aside, until they run out', async (t) => {
  const h = local(t)
  const head = { ...h.targetJob('link', { n: 5 }), chain: { first: 100, left: 3 } }
  const first = await h.succeeds(head)
  assert.equal(first.chainedTo, 100)
  const links = await Promise.all([100, 101, 102].map((id) => h.outcome(id)))
  assert.deepEqual(
    links.map((o) => (o as AttemptSucceeded).value),
    [100, 101, 102],
  )
  assert.deepEqual(
    links.map((o) => (o as AttemptSucceeded).chainedTo),
    [101, 102, undefined],
  )
  // The last link's successor goes back to the leader, as any other.
  assert.deepEqual(
    (links[2] as AttemptSucceeded).successors.map((s) => s.relation),
    ['followOn'],
  )
  assert.match(readFileSync(join(h.dir, 'logs', '101.log'), 'utf8'), /^=== attempt 1 of job 101 \(target link\)[^\n]*\nlink 3 is job 101\n$/)
  assert.deepEqual(h.batch.held(), [])
})

it('chaining: not when the successor asks for more than the job had, nor without ids set aside', async (t) => {
  const h = local(t)
  const bigger = await h.succeeds({ ...h.targetJob('link', { n: 2, cores: 2 }), chain: { first: 100, left: 3 } })
  assert.equal(bigger.chainedTo, undefined)
  const none = await h.succeeds(h.targetJob('link', { n: 2 }))
  assert.equal(none.chainedTo, undefined)
})

it('an attempt queued behind a long one is taken back when another worker is free', async (t) => {
  const h = local(t, { maxCores: 2 })
  // Warm workers, so that the attempts queued behind the long one reach its worker before they are asked back.
  await Promise.all([h.succeeds(h.targetJob('echo')), h.succeeds(h.targetJob('echo'))])
  const gate = join(h.dir, 'gate')
  const long = h.issue(h.targetJob('waitFor', gate))
  const quick = Array.from({ length: 8 }, () => h.targetJob('echo'))
  for (const job of quick) h.batch.issue(job)
  // Every quick job finishes while the long one still waits for its gate.
  const done = await Promise.all(quick.map((job) => h.outcome(job.jobId)))
  assert.ok(done.every((o) => o.type === 'AttemptSucceeded'))
  assert.deepEqual(
    h.batch.held().map((a) => a.jobId),
    [3],
  )
  writeFileSync(gate, '')
  assert.equal((await long).type, 'AttemptSucceeded')
})

it('kill() drops a job queued in a worker behind another, which goes on', async (t) => {
  const h = local(t, { maxCores: 1 })
  await h.succeeds(h.targetJob('echo'))
  const gate = join(h.dir, 'gate')
  const running = h.issue(h.targetJob('waitFor', gate))
  const queued = h.targetJob('echo')
  h.batch.issue(queued)
  // The worker has it queued: the kill must ask it back.
  await new Promise((resolve) => setImmediate(resolve))
  h.batch.kill(queued.jobId)
  assert.deepEqual(
    h.batch.held().map((a) => a.jobId),
    [2],
  )
  writeFileSync(gate, '')
  assert.equal((await running).type, 'AttemptSucceeded')
  await h.succeeds(h.targetJob('echo'))
  assert.equal(
    h.outcomes.some((o) => o.jobId === queued.jobId),
    false,
  )
})

it("a target's wall and CPU time start once its workflow module is imported", async (t) => {
  const h = local(t)
  const job = { ...h.targetJob('quick'), module: fileURLToPath(new URL('./fixtures/slowImport.ts', import.meta.url)) }
  const outcome = await h.succeeds(job)
  assert.equal(outcome.value, 'done')
  assert.ok(outcome.stats.wallMs < 200 && outcome.stats.cpuMs < 200, `the 400 ms import was counted: ${JSON.stringify(outcome.stats)}`)
})

it('a killed job takes down what its command started in a session of its own', async (t) => {
  const h = local(t)
  const pidFile = join(h.dir, 'sleep.pid')
  writeFileSync(pidFile, '')
  // setsid puts sleep in a new session and process group: killing the command's group misses it.
  const job = h.commandJob(`setsid sleep 30 & echo "$!" > ${pidFile}; wait`)
  h.batch.issue(job)
  await eventually('the command wrote its pid', () => readFileSync(pidFile, 'utf8').endsWith('\n'))
  const sleepPid = Number(readFileSync(pidFile, 'utf8').trim())
  assert.ok(!isDead(sleepPid))
  h.batch.kill(job.jobId)
  await eventually('sleep in its own session is gone', () => isDead(sleepPid))
})

/** Appends to `pidFile` the pids of a sleep in the command's group and of one in a session of its own. */
function leaveSleeps(pidFile: string): string {
  return `sleep 300 & echo $! >> ${pidFile}; setsid sleep 300 & echo $! >> ${pidFile}`
}

function pidsIn(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split('\n').map(Number)
}

/** Runs `body`, then kills what its commands left in `pidFile` (should the code under test not have), so that a failing test leaves nothing behind. */
async function killingLeftovers(pidFile: string, body: () => Promise<void>): Promise<void> {
  try {
    await body()
  } finally {
    for (const pid of existsSync(pidFile) ? pidsIn(pidFile) : []) if (!isDead(pid)) process.kill(pid, 'SIGKILL')
  }
}

it('what a command left running ends with it, whether it succeeded or failed, in its group or in a session of its own', async (t) => {
  const h = local(t, { maxCores: 1 })
  const pidFile = join(h.dir, 'pids')
  await killingLeftovers(pidFile, async () => {
    await h.succeeds(h.commandJob(`${leaveSleeps(pidFile)}; echo started`))
    assert.deepEqual(await h.fails(h.commandJob(`${leaveSleeps(pidFile)}; exit 3`)), { kind: 'exit', code: 3 })
    const pids = pidsIn(pidFile)
    assert.equal(pids.length, 4)
    await eventually('no sleep a command left is alive', () => pids.every(isDead))
    // The worker that ended them is still good for the next job.
    await h.succeeds(h.commandJob('true'))
  })
})

it('a worker SIGKILLed right after it spawned a command leaves no process of the command', async (t) => {
  const h = local(t)
  const pidFile = join(h.dir, 'pids')
  await killingLeftovers(pidFile, async () => {
    // The command's first act is to leave its sleeps and SIGKILL its worker.
    const reason = await h.fails(h.commandJob(`${leaveSleeps(pidFile)}; echo $$ >> ${pidFile}; kill -9 $PPID; sleep 300`))
    assert.deepEqual(reason, { kind: 'workerDied', code: null, signal: 'SIGKILL' })
    const pids = pidsIn(pidFile)
    assert.equal(pids.length, 3)
    await eventually('no process of the command is alive', () => pids.every(isDead))
  })
})

it("a worker SIGKILLed leaves no process it started itself, which carries nothing but the worker's environment (as a command does before its exec)", async (t) => {
  const h = local(t)
  const pidFile = join(h.dir, 'pid')
  writeFileSync(pidFile, '')
  const outcome = h.issue(h.targetJob('spawnsAndHangs', pidFile))
  await eventually('the target started its process', () => readFileSync(pidFile, 'utf8').endsWith('\n'))
  const [worker, pid] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number)
  try {
    process.kill(worker, 'SIGKILL')
    assert.deepEqual(((await outcome) as AttemptFailed).reason, { kind: 'workerDied', code: null, signal: 'SIGKILL' })
    await eventually('the process the target started is gone', () => isDead(pid))
  } finally {
    if (!isDead(pid)) process.kill(pid, 'SIGKILL')
  }
})

it('a worker SIGKILLed with its leader leaves its command running only until the next leader of the run reconciles', async (t) => {
  const h = local(t)
  const pidFile = join(h.dir, 'pids')
  writeFileSync(pidFile, '')
  const runId = `run-${process.pid}-${Date.now()}`
  const leader = spawn(process.execPath, ['--import', 'tsx', LEADER, h.dir, pidFile, runId], { stdio: 'inherit' })
  const leaderGone = new Promise((resolve) => leader.once('exit', resolve))
  await eventually('the command wrote its pids', () => readFileSync(pidFile, 'utf8').endsWith('\n'))
  const [worker, ...sleeps] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number)
  try {
    // Stopped, the leader cannot see its worker die; killed, the worker cannot end its command.
    leader.kill('SIGSTOP')
    process.kill(worker, 'SIGKILL')
    leader.kill('SIGKILL')
    await leaderGone
    await eventually('the worker is gone', () => isDead(worker))
    assert.deepEqual(sleeps.filter(isDead), [], 'nobody was left to end the command')
    const next = new LocalBatchSystem({ maxCores: 1, maxMemory: GiB, maxDisk: GiB, runId })
    await next.reconcile()
    await next.shutdown()
    await eventually('what the command started is gone', () => sleeps.every(isDead))
  } finally {
    for (const pid of sleeps) if (!isDead(pid)) process.kill(pid, 'SIGKILL')
  }
})
