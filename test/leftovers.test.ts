// A target may start processes of its own (child_process) and leave them
// running when it returns; they must not outlive its worker, and so never
// the run, even when the worker ends idle (dismissed at the end of the run).

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { firstValueFrom } from 'rxjs'
import { toSpec } from '../src/workflow/options.ts'
import { LocalBatchSystem } from '../src/batch/local/localBatch.ts'
import { finished, scratch, startJobtree } from './helpers/cli.ts'
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
