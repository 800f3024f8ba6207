import type { AuditState } from '../../audit/auditState.ts'
import { criticalPath } from '../../audit/criticalPath.ts'
import type { Charts } from '../protocol.ts'

// Throughput (attempts that succeeded per interval) and the attempts out at
// each moment, over the run up to a position; and its critical path.

const BUCKETS = 60

export function charts(state: AuditState): Charts {
  const { timeline } = state
  const from = timeline.firstAt
  const to = Math.max(state.at, from + 1)
  const bucketMs = Math.max(1, Math.ceil((to - from) / BUCKETS))
  const finished = new Array<number>(BUCKETS).fill(0)
  // Starts and ends as +1 / -1 at the bucket they fall in; the running count is their prefix sum.
  const changes = new Array<number>(BUCKETS + 1).fill(0)
  const bucket = (t: number) => Math.min(BUCKETS - 1, Math.max(0, Math.floor((t - from) / bucketMs)))
  for (const [, job] of timeline.jobs.entries()) {
    for (const a of job.attempts) {
      changes[bucket(a.issuedAt)] += 1
      if (a.endAt >= 0) {
        changes[bucket(a.endAt)] -= 1
        if (a.outcome === 'succeeded') finished[bucket(a.endAt)] += 1
      }
    }
  }
  const running: number[] = []
  let out = 0
  for (let i = 0; i < BUCKETS; i++) {
    out += changes[i]
    running.push(out)
  }
  const path = criticalPath(timeline)
  return {
    seq: state.seq,
    from,
    to,
    bucketMs,
    finished,
    running,
    criticalPath: {
      totalMs: path.totalMs,
      steps: path.steps.map((s) => ({ jobId: s.jobId, name: s.name, attempt: s.attempt, waitMs: s.waitMs, runMs: s.runMs })),
    },
  }
}
