import type { JobEvent, RunConfig, SuccessorSpec } from '../src/events/catalogue.ts'
import { encodeEvent } from '../src/events/codec.ts'
import type { EventLog } from '../src/store/log.ts'
import { decide } from '../src/decider/decide.ts'
import type { Input } from '../src/decider/inputs.ts'
import type { Snapshotter } from '../src/store/snapshots.ts'
import { evolve } from '../src/decider/jobTree.ts'
import { initialState, type JobTreeState } from '../src/decider/jobTreeState.ts'

// A long run, made fast: the real decider and projection driven by made-up
// outcomes instead of real jobs, committed in batches as the leader would.
// Every job succeeds after a few milliseconds and, while fewer than
// `pending` jobs wait, are queued or are out, adds three children (every
// tenth also a follow-on); every fiftieth attempt fails once and is retried;
// every twentieth logs a message.

export interface SyntheticOptions {
  events: number
  module: string
  /** Jobs waiting, queued or out above which jobs add no more successors. */
  pending: number
  /** Outcomes committed per batch. */
  batch: number
  snapshots?: Snapshotter
  /** Called after each batch with the time its append took. */
  onAppend?: (ms: number, events: number) => void
}

// A thousand jobs out at once, as the log sees it; a restarted leader runs
// them two at a time, so that timing it does not start a thousand workers.
const config: RunConfig = { retryCount: 2, maxJobs: 1000, maxCores: 2, maxMemory: 2 ** 40, maxDisk: 2 ** 40 }
const spec = (n: number) => ({
  work: { kind: 'target' as const, target: 'benchNode', input: n },
  resources: { cores: 1, memory: 2 ** 20, disk: 2 ** 20, time: 0 },
})

export async function syntheticRun(log: EventLog, opts: SyntheticOptions): Promise<JobTreeState> {
  let state = initialState
  let now = Date.UTC(2025, 0, 1)
  let attempts = 0
  const pending: JobEvent[] = []
  const apply = (input: Input) => {
    for (const event of decide(state, input)) {
      state = evolve(state, event)
      pending.push(event)
    }
  }
  const commit = async () => {
    const events = pending.splice(0)
    const t0 = performance.now()
    await log.appendEncoded(events.map((e) => encodeEvent(e).slice()))
    opts.onAppend?.(performance.now() - t0, events.length)
    opts.snapshots?.committed(state, events, log.lastSeq)
  }
  apply({ type: 'Start', now, runId: 'synthetic', module: opts.module, target: 'benchNode', root: spec(0), config })
  apply({ type: 'Schedule', now })
  await commit()
  while (log.lastSeq < opts.events && state.counts.issued > 0) {
    const out = [...state.jobs.entries()].filter(([, j]) => j.phase === 'issued').map(([, j]) => j)
    for (let i = 0; i < out.length; i += opts.batch) {
      for (const job of out.slice(i, i + opts.batch)) {
        now += 3
        attempts += 1
        const messages = attempts % 20 === 0 ? [`attempt ${attempts} of job ${job.id}`] : []
        const stats = { wallMs: 3 + (attempts % 7), cpuMs: 2, maxRss: 50 * 2 ** 20 }
        if (attempts % 50 === 0 && job.attempts === 1) {
          apply({
            type: 'AttemptFailed',
            now,
            jobId: job.id,
            attempt: job.attempts,
            reason: { kind: 'exception', message: 'synthetic failure' },
            messages,
            stats,
          })
          continue
        }
        const { waiting, ready, issued } = state.counts
        const grow = waiting + ready + issued < opts.pending
        const successors: SuccessorSpec[] = grow ? [0, 1, 2].map((k) => ({ relation: 'child', spec: spec(job.id * 3 + k) })) : []
        if (grow && job.id % 10 === 0) successors.push({ relation: 'followOn', spec: spec(-job.id) })
        apply({ type: 'AttemptSucceeded', now, jobId: job.id, attempt: job.attempts, value: job.id, successors, messages, stats })
      }
      apply({ type: 'Schedule', now })
      await commit()
      if (log.lastSeq >= opts.events) break
    }
  }
  return state
}
