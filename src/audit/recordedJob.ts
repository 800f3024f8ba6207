import type { JobSpec } from '../events/catalogue.ts'
import { JobtreeError } from '../errors.ts'
import { UnresolvedPromise, resolveTokens } from '../events/promise.ts'
import { evolve, valueOf } from '../decider/jobTree.ts'
import { foldEvents } from './fold.ts'
import { initialState, type JobTreeState, type Phase } from '../decider/jobTreeState.ts'
import type { EventSource } from './eventSource.ts'

// A job as its last attempt was handed to a worker: its spec with every
// promise in its input replaced by the value it named, read back from the
// log (what `debug-job` runs again). The tree is taken as it stood just
// before the job's last JobIssued, when the values its input named were
// still held; a job never issued is taken as the log leaves it.

export interface RecordedJob {
  jobId: number
  /** The job's spec, its input resolved. */
  spec: JobSpec
  /** The attempt last issued (0: never issued). */
  attempt: number
  /** Its phase when the log ends. */
  phase: Phase | 'done'
  runId: string
  module: string
}

export async function recordedJob(source: EventSource, jobId: number): Promise<RecordedJob> {
  interface Folded {
    state: JobTreeState
    beforeIssue: JobTreeState | undefined
    attempt: number
  }
  const folded = await foldEvents<Folded>(source, { state: initialState, beforeIssue: undefined, attempt: 0 }, (f, r) => {
    const e = r.event
    const issued = e.type === 'JobIssued' && e.jobId === jobId
    return { state: evolve(f.state, e), beforeIssue: issued ? f.state : f.beforeIssue, attempt: issued ? e.attempt : f.attempt }
  })
  const { state, beforeIssue, attempt } = folded
  if (jobId < 0 || jobId >= state.nextJobId) {
    throw new JobtreeError('BAD_OPTION', `no job ${jobId} in ${source.paths.root} (its jobs are 0 to ${state.nextJobId - 1})`, { jobId })
  }
  const at = beforeIssue ?? state
  const job = at.jobs.get(jobId)
  if (job === undefined) throw new JobtreeError('LOG_CORRUPT', `job ${jobId} was issued but the log does not hold its record`, { jobId })
  const { work } = job.spec
  let spec = job.spec
  if (work.kind === 'target') {
    try {
      spec = { ...job.spec, work: { ...work, input: resolveTokens(work.input, (id) => valueOf(at, id)) } }
    } catch (err) {
      if (!(err instanceof UnresolvedPromise)) throw err
      throw new JobtreeError('BAD_OPTION', `job ${jobId}'s input waits for the value of job ${err.producer}, which has not succeeded yet`, { jobId })
    }
  }
  return { jobId, spec, attempt, phase: state.jobs.get(jobId)?.phase ?? 'done', runId: state.runId, module: state.module }
}
