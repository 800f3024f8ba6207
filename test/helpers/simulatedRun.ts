// A run driven through the pure decider alone, no processes: each issued job
// "runs" by calling a behaviour with its resolved input, and its outcome is
// decided and evolved as a leader would. For table and property tests of
// decisions that span a whole run (a rewind, then the run again).
import type { AttemptFiles, JobEvent, JobSpec, Recorded, RunConfig, SuccessorSpec } from '../../src/events/catalogue.ts'
import { resolveTokens } from '../../src/events/promise.ts'
import { decide } from '../../src/decider/decide.ts'
import { evolve, valueOf } from '../../src/decider/jobTree.ts'
import { initialState, type JobTreeState } from '../../src/decider/jobTreeState.ts'
import type { Input, RunHistory } from '../../src/decider/inputs.ts'
import { evolveRunHistory } from '../../src/audit/runHistory.ts'

export interface Outcome {
  successors?: SuccessorSpec[]
  value?: unknown
  files?: AttemptFiles
}

/** What a job does when it runs: from its id, target and input with promises kept. */
export type Behaviour = (jobId: number, target: string, input: unknown, attempt: number) => Outcome

export const simulatedConfig: RunConfig = { retryCount: 0, maxJobs: 1000, maxCores: 1000, maxMemory: 2 ** 40, maxDisk: 2 ** 40 }

export class SimulatedRun {
  state: JobTreeState = initialState
  readonly log: JobEvent[] = []
  /** Job ids in the order their attempts ran. */
  readonly ran: number[] = []
  private now = 1000

  constructor(root: JobSpec, config: RunConfig = simulatedConfig) {
    this.decideAndApply({ type: 'Start', now: this.now, runId: 'r', module: '/m.ts', target: 'root', root, config })
  }

  decideAndApply(input: Input): JobEvent[] {
    const events = decide(this.state, input)
    for (const e of events) {
      this.state = evolve(this.state, e)
      this.log.push(e)
    }
    return events
  }

  /** Runs what is ready, outcome by outcome, until the run finishes; returns the jobs that ran. */
  drive(behave: Behaviour): number[] {
    const ran: number[] = []
    for (let rounds = 0; rounds < 100_000; rounds++) {
      this.now += 1
      const events = this.decideAndApply({ type: 'Schedule', now: this.now })
      if (events.some((e) => e.type === 'WorkflowFinished')) return ran
      const issued = events.filter((e) => e.type === 'JobIssued')
      if (issued.length === 0) throw new Error('nothing to issue, and the run did not finish')
      for (const e of issued) {
        const job = this.state.jobs.get(e.jobId)
        if (job === undefined || job.spec.work.kind !== 'target') throw new Error(`job ${e.jobId} cannot run here`)
        const input = resolveTokens(job.spec.work.input, (id) => valueOf(this.state, id))
        const out = behave(e.jobId, job.spec.work.target, input, e.attempt)
        ran.push(e.jobId)
        this.ran.push(e.jobId)
        this.decideAndApply({
          type: 'AttemptSucceeded',
          now: this.now,
          jobId: e.jobId,
          attempt: e.attempt,
          value: out.value ?? null,
          successors: out.successors ?? [],
          messages: [],
          stats: { wallMs: 1, cpuMs: 1, maxRss: 0 },
          ...(out.files === undefined ? {} : { files: out.files }),
        })
      }
    }
    throw new Error('the run did not finish')
  }

  /** The events as a store numbers them. */
  recorded(): Recorded[] {
    return this.log.map((event, i) => ({ seq: i + 1, event }))
  }

  history(): RunHistory {
    return this.recorded().reduce(evolveRunHistory, new Map())
  }

  /** The root's value, its promises kept. */
  result(): unknown {
    return resolveTokens(valueOf(this.state, 0)?.value, (id) => valueOf(this.state, id))
  }
}
