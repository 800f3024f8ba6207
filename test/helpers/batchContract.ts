import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import type { BatchSystem } from '../../src/batch/batchSystem.ts'
import type { AttemptSucceeded } from '../../src/decider/inputs.ts'
import { makeToken } from '../../src/events/promise.ts'
import { toSpec } from '../../src/workflow/options.ts'
import { BatchHarness, batchScratch } from './batchHarness.ts'
import { eventually, isDead } from './processes.ts'

// What every batch system must do, as the leader relies on it (the
// BatchSystem interface, src/batch/batchSystem.ts), run against each one:
// test/localBatch.test.ts and test/slurm.test.ts call this with theirs, and
// a new batch system gets the same tests by calling it with its own.

export interface ContractOptions {
  /** Opens the batch system under test on a fresh store-like directory. */
  open: (dir: string) => Promise<BatchSystem>
  /** Per test: a cluster's jobs take seconds each to be scheduled and seen to end. */
  timeoutMs: number
  /** Tests that may run at once (a cluster's wait for its polls then overlaps). */
  concurrency?: number
}

export function batchSystemContract(name: string, options: ContractOptions): void {
  const it = (title: string, fn: (h: BatchHarness) => Promise<void>) =>
    test(title, { timeout: options.timeoutMs }, async (t: TestContext) => {
      const dir = batchScratch()
      const batch = await options.open(dir)
      const harness = new BatchHarness(t, batch, dir)
      // As the leader does before its first issue.
      await batch.reconcile?.()
      await fn(harness)
    })

  describe(`BatchSystem contract: ${name}`, { concurrency: options.concurrency ?? 1 }, () => {
    it('a target returns its value, with the stats of its attempt', async (h) => {
      const outcome = await h.succeeds(h.targetJob('echo', { a: [1, 2] }))
      assert.deepEqual((outcome.value as { got: unknown }).got, { a: [1, 2] })
      assert.deepEqual(outcome.successors, [])
      assert.ok(outcome.stats.wallMs >= 0 && outcome.stats.cpuMs >= 0 && outcome.stats.maxRss > 0, JSON.stringify(outcome.stats))
    })

    it('children and follow-ons are reported in call order, with local promise tokens, and its messages', async (h) => {
      const outcome = await h.succeeds(h.targetJob('parent'))
      const echoSpec = (input: unknown) => toSpec({ kind: 'target', target: 'echo', input })
      assert.deepEqual(outcome.successors, [
        { relation: 'child', spec: echoSpec({ n: 1 }) },
        { relation: 'child', spec: toSpec({ kind: 'command', command: ['true'] }, { cores: 0.5 }) },
        { relation: 'followOn', spec: echoSpec({ from: makeToken({ local: 0, path: ['got', 'n'] }) }) },
      ])
      assert.deepEqual(outcome.value, { first: makeToken({ local: 0, path: [] }) })
      assert.deepEqual(outcome.messages, ['adding successors'])
    })

    it("a target's console output lands in its job's log file, after its attempt's header", async (h) => {
      const job = h.targetJob('print')
      await h.succeeds(job)
      const log = readFileSync(job.logFile, 'utf8')
      assert.match(log, new RegExp(`^=== attempt 1 of job ${job.jobId} \\(target print\\) pid \\d+ at \\S+ ===\n`, 'm'))
      assert.match(log, /hello from console.log\nhello from console.error\n/)
    })

    it('a thrown error fails the attempt with its message and stack; what it added is not reported', async (h) => {
      const reason = await h.fails(h.targetJob('fails'))
      assert.equal(reason.kind, 'exception')
      assert.equal(reason.kind === 'exception' && reason.message, 'boom')
      assert.match(reason.kind === 'exception' ? (reason.stack ?? '') : '', /batchTargets\.ts/)
    })

    it('a value the log cannot store is an invalid result; so is an unstorable successor input, at once', async (h) => {
      assert.deepEqual(await h.fails(h.targetJob('returnsFunction')), {
        kind: 'invalidResult',
        message: 'the value returned by target returnsFunction cannot be stored: Unknown type: function',
      })
      const reason = await h.fails(h.targetJob('badChildInput'))
      assert.equal(reason.kind, 'exception')
      assert.match(reason.kind === 'exception' ? reason.message : '', /input given to target echo cannot be stored/)
    })

    it('an unknown target, and a workflow module that cannot be imported, fail as exceptions naming them', async (h) => {
      const [unknown, missing] = await Promise.all([h.fails(h.targetJob('nope')), h.fails({ ...h.targetJob('echo'), module: join(h.dir, 'missing.ts') })])
      assert.match(unknown.kind === 'exception' ? unknown.message : '', /^unknown target nope in .*batchTargets\.ts \(known: .*echo.*\)$/)
      assert.match(missing.kind === 'exception' ? missing.message : '', /^cannot import workflow module .*missing\.ts: /)
    })

    it('commands: exit 0 is the value 0, in a temp dir of the attempt; an exit code and a missing program are failures', async (h) => {
      const ok = h.commandJob('echo "tmp=$TMPDIR"')
      const [succeeded, exit3, missing] = await Promise.all([
        h.succeeds(ok),
        h.fails(h.commandJob(['sh', '-c', 'exit 3'])),
        h.fails(h.commandJob(['jobtree-no-such-program', 'arg'])),
      ])
      assert.equal(succeeded.value, 0)
      assert.match(readFileSync(ok.logFile, 'utf8'), /=== attempt 1 of job \d+ \(command .*\n.*tmp=.*jobtree-\d+-\d+-1-/)
      assert.deepEqual(exit3, { kind: 'exit', code: 3 })
      assert.deepEqual(missing, { kind: 'exception', message: 'command not found: jobtree-no-such-program' })
    })

    it('the temp dir is private to the attempt and removed after it; the global dir is there', async (h) => {
      const { value } = await h.succeeds(h.targetJob('usesTempDir'))
      const { tempDir, globalDirExists } = value as { tempDir: string; globalDirExists: boolean }
      assert.match(tempDir, /jobtree-\d+-\d+-1-/)
      assert.equal(existsSync(tempDir), false)
      assert.equal(globalDirExists, true)
    })

    it('an outcome names the attempt issued, which held() lists until its outcome is reported', async (h) => {
      const gate = join(h.dir, 'gate')
      const job = { ...h.targetJob('waitFor', gate), attempt: 3 }
      const outcome = h.issue(job)
      assert.deepEqual(
        h.batch.held().map(({ jobId, attempt }) => ({ jobId, attempt })),
        [{ jobId: job.jobId, attempt: 3 }],
      )
      writeFileSync(gate, '')
      const done = await outcome
      assert.equal(done.type, 'AttemptSucceeded')
      assert.equal(done.attempt, 3)
      assert.deepEqual(h.batch.held(), [])
    })

    it('many attempts at once: each gets exactly one outcome', async (h) => {
      const jobs = Array.from({ length: 12 }, (_, i) => h.targetJob('echo', i))
      const outcomes = await Promise.all(jobs.map((job) => h.succeeds(job)))
      assert.deepEqual(
        outcomes.map((o) => (o.value as { got: number }).got),
        jobs.map((_, i) => i),
      )
      // Whatever comes late would be a second outcome.
      await new Promise((resolve) => setTimeout(resolve, 500))
      assert.deepEqual(
        h.outcomes.map((o) => o.jobId).sort((a, b) => a - b),
        jobs.map((j) => j.jobId),
      )
    })

    it('kill() stops a running command, its process group and temp dir, and reports nothing for it', async (h) => {
      const pidFile = join(h.dir, 'sleep.pid')
      writeFileSync(pidFile, '')
      // The sleep runs in the background, so only killing the whole group stops it.
      const job = h.commandJob(`sleep 300 & echo "$! $TMPDIR" > ${pidFile}; wait`)
      h.batch.issue(job)
      await eventually('the command wrote its pid', () => readFileSync(pidFile, 'utf8').endsWith('\n'), options.timeoutMs / 2)
      const [sleepPid, tempDir] = readFileSync(pidFile, 'utf8').trim().split(' ')
      assert.ok(existsSync(tempDir))
      h.batch.kill(job.jobId)
      await eventually('the sleep is gone', () => isDead(Number(sleepPid)), options.timeoutMs / 4)
      await eventually('its temp dir is gone', () => !existsSync(tempDir), options.timeoutMs / 4)
      await h.succeeds(h.targetJob('echo'))
      assert.equal(
        h.outcomes.some((o) => o.jobId === job.jobId),
        false,
      )
      assert.deepEqual(h.batch.held(), [])
    })

    it('a job is chained only where the batch system chains, under the ids set aside', async (h) => {
      const head = await h.succeeds({ ...h.targetJob('link', { n: 2 }), chain: { first: 100, left: 1 } })
      if (!h.batch.chains) {
        assert.equal(head.chainedTo, undefined)
        assert.deepEqual(
          head.successors.map((s) => s.relation),
          ['followOn'],
        )
        return
      }
      assert.equal(head.chainedTo, 100)
      const link = (await h.outcome(100)) as AttemptSucceeded
      assert.equal(link.value, 100)
      assert.equal(link.chainedTo, undefined)
    })

    it('shutdown() ends what still runs', async (h) => {
      const pidFile = join(h.dir, 'sleep.pid')
      writeFileSync(pidFile, '')
      h.batch.issue(h.commandJob(`sleep 300 & echo "$!" > ${pidFile}; wait`))
      await eventually('the command wrote its pid', () => readFileSync(pidFile, 'utf8').endsWith('\n'), options.timeoutMs / 2)
      await h.batch.shutdown()
      await eventually('the sleep is gone', () => isDead(Number(readFileSync(pidFile, 'utf8'))), options.timeoutMs / 4)
    })
  })
}
