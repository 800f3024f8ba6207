import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { BatchSystem } from '../../src/batch/batchSystem.ts'
import type { AttemptFailed, AttemptOutcome, AttemptSucceeded } from '../../src/decider/inputs.ts'
import type { FailureReason } from '../../src/events/catalogue.ts'
import type { IssuedJob } from '../../src/worker/protocol.ts'
import { toSpec, type JobOptions } from '../../src/workflow/options.ts'

// A batch system under test, driven as the leader drives one: jobs issued
// with ids of their own, outcomes collected by job id. Its scratch directory
// is laid out as a store is (logs/, global/), so that a cluster batch system
// can keep its tickets and results there too.

export const BATCH_TARGETS = fileURLToPath(new URL('../fixtures/batchTargets.ts', import.meta.url))

/** Makes the scratch directory a harness owns: on a cluster, one its nodes can see. */
export function batchScratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-batch-'))
  for (const sub of ['logs', 'global']) mkdirSync(join(dir, sub))
  return dir
}

export class BatchHarness<B extends BatchSystem = BatchSystem> {
  readonly outcomes: AttemptOutcome[] = []
  private readonly waiting = new Map<number, Array<(outcome: AttemptOutcome) => void>>()
  private nextJobId = 1

  /** Shuts `batch` down and removes `dir` when the test ends. */
  constructor(
    t: TestContext,
    readonly batch: B,
    readonly dir: string,
  ) {
    batch.outcomes.subscribe((outcome) => {
      this.outcomes.push(outcome)
      for (const resolve of this.waiting.get(outcome.jobId) ?? []) resolve(outcome)
      this.waiting.delete(outcome.jobId)
    })
    t.after(async () => {
      await batch.shutdown()
      rmSync(dir, { recursive: true, force: true })
    })
  }

  targetJob(target: string, input: unknown = null, options?: JobOptions): IssuedJob {
    return this.job(toSpec({ kind: 'target', target, input }, options))
  }

  commandJob(command: string | string[], options?: JobOptions): IssuedJob {
    return this.job(toSpec({ kind: 'command', command }, options))
  }

  issue(job: IssuedJob): Promise<AttemptOutcome> {
    const outcome = this.outcome(job.jobId)
    this.batch.issue(job)
    return outcome
  }

  outcome(jobId: number): Promise<AttemptOutcome> {
    const seen = this.outcomes.find((o) => o.jobId === jobId)
    if (seen !== undefined) return Promise.resolve(seen)
    // A batch system need not hold the process open (its poll timers are
    // unref'd); the leader does, and so does a harness while it waits.
    const alive = setInterval(() => {}, 60_000)
    // Each caller waits on its own: a second wait for the same job must not orphan the first.
    return new Promise((resolve) => {
      const waiters = this.waiting.get(jobId) ?? []
      waiters.push((outcome) => {
        clearInterval(alive)
        resolve(outcome)
      })
      this.waiting.set(jobId, waiters)
    })
  }

  async succeeds(job: IssuedJob): Promise<AttemptSucceeded> {
    const outcome = await this.issue(job)
    assert.equal(outcome.type, 'AttemptSucceeded', JSON.stringify(outcome))
    return outcome as AttemptSucceeded
  }

  async fails(job: IssuedJob): Promise<FailureReason> {
    const outcome = await this.issue(job)
    assert.equal(outcome.type, 'AttemptFailed', JSON.stringify(outcome))
    return (outcome as AttemptFailed).reason
  }

  private job(spec: IssuedJob['spec']): IssuedJob {
    const jobId = this.nextJobId++
    return {
      jobId,
      attempt: 1,
      spec,
      module: BATCH_TARGETS,
      logFile: join(this.dir, 'logs', `${jobId}.log`),
      globalDir: join(this.dir, 'global'),
      filesDir: join(this.dir, 'files'),
      runId: 'batch-contract',
    }
  }
}
