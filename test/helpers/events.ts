// Events as the log holds them, one builder a type, for the tests written as
// given-events / when / then tables (decide, timeline, critical path): each
// table file names them for its own story and fixes what it holds constant.
import type { AttemptStats, FailureReason, JobEvent, JobSpec, RunConfig } from '../../src/events/catalogue.ts'

/** A target job with the smallest resources. */
export function targetSpec(target: string, input: unknown = null): JobSpec {
  return { work: { kind: 'target', target, input }, resources: { cores: 1, memory: 1, disk: 1, time: 0 } }
}

export function workflowStarted(at: number, config: RunConfig): JobEvent {
  return { type: 'WorkflowStarted', v: 1, at, runId: 'r', module: '/m.ts', target: 'root', epoch: 1, config }
}

export function jobCreated(at: number, jobId: number, parent: number, relation: 'root' | 'child' | 'followOn', spec: JobSpec): JobEvent {
  return { type: 'JobCreated', v: 1, at, jobId, parent, relation, spec }
}

export function jobIssued(at: number, jobId: number, attempt: number, more: { reserved?: number; chainedFrom?: number } = {}): JobEvent {
  return { type: 'JobIssued', v: 1, at, jobId, attempt, epoch: 1, ...more }
}

/** Its successors have ids from `first`: `children` children, then `followOns` follow-ons. */
export function jobFinished(
  at: number,
  jobId: number,
  attempt: number,
  successors: { first: number; children: number; followOns: number },
  value: unknown,
  stats: AttemptStats,
): JobEvent {
  return { type: 'JobFinished', v: 1, at, jobId, attempt, value, stats, successors }
}

export function jobFailed(at: number, jobId: number, attempt: number, reason: FailureReason, stats?: AttemptStats): JobEvent {
  return { type: 'JobFailed', v: 1, at, jobId, attempt, reason, ...(stats === undefined ? {} : { stats }) }
}
