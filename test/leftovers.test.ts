// A target may start processes of its own (child_process) and leave them
// running when it returns; they must not outlive its worker, and so never
// the run, even when the worker ends idle (dismissed at the end of the run).

import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { firstValueFrom } from 'rxjs'
import { toSpec } from '../src/workflow/options.ts'
import { LocalBatchSystem } from '../src/batch/local/localBatch.ts'
import { finished, readEvents, scratch, sleep, startJobtree } from './helpers/cli.ts'
import { eventually, isDead, processesWithEnv } from './helpers/processes.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/leftoverFlow.ts', import.meta.url))
/** Every process of the run inherits it: what is left alive afterwards can be found. */
const MARK = 'JOBTREE_LEFTOVER_MARK'

/** The worker's pid and that of the process its target left. */
function pids(pidFile: string): number[] {
  return readFileSync(pidFile, 'utf8').split(' ').map(Number)
}

test('a process a target started and left running does not outlive the run', { timeout: 30_000 }, async (t) => {
  const dir = scratch(t, 'jobtree-leftovers-')
  const pidFile = join(dir, 'pid')
  const marked = () => processesWithEnv(MARK, dir)
  try {
    const r = await finished(
      startJobtree(
        [
          'run',
          FIXTURE,
          '--target',
          'leavesDaemon',
          '--store',
          join(dir, 'store'),
          '--input',
          JSON.stringify({ pidFile }),
          '--no-progress',
          '--log-level',
          'error',
        ],
        undefined,
        { [MARK]: dir },
      ),
    )
    assert.equal(r.code, 0, r.stderr)
    const [, daemon] = pids(pidFile)
    await eventually('the process the target left is gone', () => isDead(daemon), 3000)
    await eventually('no process of the run is left', () => marked().length === 0, 3000)
  } finally {
    for (const pid of marked()) process.kill(pid, 'SIGKILL')
  }
})

test('a process a target left running does not outlive its worker, SIGKILLed while idle', { timeout: 30_000 }, async (t) => {
  const dir = scratch(t, 'jobtree-leftovers-idle-')
  const pidFile = join(dir, 'pid')
  const batch = new LocalBatchSystem({ maxCores: 1, maxMemory: 2 ** 32, maxDisk: 2 ** 32 })
  let daemon: number | undefined
  try {
    const outcome = firstValueFrom(batch.outcomes)
    batch.issue({
      jobId: 1,
      attempt: 1,
      spec: toSpec({ kind: 'target', target: 'leavesDaemon', input: { pidFile } }),
      module: FIXTURE,
      logFile: join(dir, 'logs', '1.log'),
      globalDir: join(dir, 'global'),
      filesDir: join(dir, 'files'),
      runId: 'leftovers',
    })
    assert.equal((await outcome).type, 'AttemptSucceeded')
    const [worker, left] = pids(pidFile)
    daemon = left
    assert.ok(!isDead(worker) && !isDead(daemon), 'the idle worker and what its target left are alive')
    process.kill(worker, 'SIGKILL')
    await eventually('the process the target left is gone', () => isDead(left), 3000)
  } finally {
    await batch.shutdown()
    if (daemon !== undefined && !isDead(daemon)) process.kill(daemon, 'SIGKILL')
  }
})

test('the temp dirs of workers SIGKILLed with their leader are removed by the next leader of the run, and only those', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t, 'jobtree-leftovers-tmp-')
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  const pidFile = join(dir, 'pid')
  const store = join(dir, 'store')
  const args = ['--store', store, '--no-progress', '--log-level', 'error']
  const env = { TMPDIR: tmp }
  // What this run must leave alone: another run's dir, and one whose name has no run id.
  const others = ['jobtree-999-0-1-0b9a7c1e-5d2f-4c3b-9e8a-7f6d5c4b3a21-aaaaaa', 'jobtree-999-0-1-bbbbbb']
  for (const name of others) mkdirSync(join(tmp, name))
  const first = startJobtree(['run', FIXTURE, '--target', 'holdsTempDir', '--input', JSON.stringify({ pidFile }), ...args], undefined, env)
  const firstEnded = finished(first)
  await eventually('the job is waiting in its worker', () => existsSync(pidFile), 20_000)
  const worker = Number(readFileSync(pidFile, 'utf8'))
  // Both at once: the worker cannot tidy up after itself, nor the leader after it.
  process.kill(first.pid as number, 'SIGKILL')
  process.kill(worker, 'SIGKILL')
  await firstEnded
  await eventually('the worker is gone', () => isDead(worker), 3000)
  const started = (await readEvents(store)).find((e) => e.type === 'WorkflowStarted')
  assert.ok(started?.type === 'WorkflowStarted')
  const left = readdirSync(tmp).filter((name) => name.startsWith(`jobtree-${worker}-0-1-${started.runId}-`))
  assert.equal(left.length, 1, `the killed attempt's dir is there: ${readdirSync(tmp).join(' ')}`)
  assert.ok(existsSync(join(tmp, left[0], 'scratch.dat')))
  const again = await finished(startJobtree(['run', FIXTURE, '--restart', ...args], undefined, env))
  assert.equal(again.code, 0, again.stderr)
  assert.equal(again.stdout, '"done"\n')
  // The restart's own attempt removed its dir when it ended; the idle worker has none.
  await sleep(200)
  const ours = readdirSync(tmp).filter((name) => name.startsWith('jobtree-'))
  assert.deepEqual(ours.sort(), [...others].sort())
})
