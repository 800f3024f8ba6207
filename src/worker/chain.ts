import { dirname, join } from 'node:path'
import { jobLogName } from '../store/jobLogName.ts'
import { hasToken } from '../events/promise.ts'
import type { SuccessorSpec } from '../events/catalogue.ts'
import type { IssuedJob } from './protocol.ts'

// Chaining (the seed's slave loop): a worker that has just run a job whose
// only successor fits in what the job had runs that successor itself instead
// of handing it back to the leader and waiting for it to come back. The
// leader set ids aside for this when it issued the job, so the chained job
// has its id (its log file, ctx.jobId) before the leader has heard of it; the
// leader records it as issued with the outcome of the job before it.

/** The attempt to run next in this worker, or undefined when the successors go back to the leader. */
export function chainedAttempt(job: IssuedJob, successors: readonly SuccessorSpec[]): IssuedJob | undefined {
  const { chain } = job
  if (chain === undefined || chain.left < 1 || successors.length !== 1) return undefined
  const { spec } = successors[0]
  const had = job.spec.resources
  const asked = spec.resources
  if (asked.cores > had.cores || asked.memory > had.memory || asked.disk > had.disk) return undefined
  // Only the leader can resolve a promise.
  if (spec.work.kind === 'target' && hasToken(spec.work.input)) return undefined
  const jobId = chain.first
  return {
    jobId,
    attempt: 1,
    spec,
    module: job.module,
    logFile: join(dirname(job.logFile), jobLogName(jobId)),
    globalDir: job.globalDir,
    filesDir: job.filesDir,
    runId: job.runId,
    chain: { first: chain.first + 1, left: chain.left - 1 },
  }
}
