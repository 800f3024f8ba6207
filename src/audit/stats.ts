import { criticalPath, type CriticalPath } from './criticalPath.ts'
import { targetGroup } from './describe.ts'
import { startOf, type AttemptTiming, type Timeline } from './timeline.ts'

// What `jobtree stats` reports, computed from the timeline: what jobTree's
// jobTreeStats and `toil stats` give (totals, and per target the spread of
// wall time, CPU time and memory), plus the time jobs waited to run, the time
// lost to failed attempts and the critical path.

/** The spread of one measure over a set of attempts. */
export interface Spread {
  count: number
  min: number
  median: number
  mean: number
  max: number
  total: number
}

export interface TargetStats {
  /** A target's name, or `command <program>` for command jobs. */
  name: string
  /** Jobs that succeeded; the spreads are over their successful attempts. */
  jobs: number
  failedAttempts: number
  wallMs: Spread
  cpuMs: Spread
  /** From joining the ready queue to starting to run. */
  waitMs: Spread
  /** Peak resident memory, bytes. */
  memory: Spread
}

export interface StatsReport {
  totals: {
    jobs: number
    /** Jobs a rewind discarded (counted in `jobs`, not as succeeded or failed). */
    discarded: number
    succeeded: number
    /** Jobs that failed completely. */
    failed: number
    attempts: number
    failedAttempts: number
    retries: number
    abandonedAttempts: number
    wallMs: number
    cpuMs: number
    peakMemory: number
    /** From the first event to the last. */
    elapsedMs: number
    leaders: number
  }
  /** Wall time of attempts that failed (those measured), and how many were abandoned by a stopping leader. */
  lost: { failedAttempts: number; wallMs: number; abandonedAttempts: number }
  targets: TargetStats[]
  criticalPath: CriticalPath
}

interface Samples {
  jobs: number
  failedAttempts: number
  wall: number[]
  cpu: number[]
  wait: number[]
  memory: number[]
}

/** Summarizes a timeline; costs O(attempts · log attempts), for the medians. */
export function summarize(timeline: Timeline): StatsReport {
  const byTarget = new Map<string, Samples>()
  const totals = {
    jobs: 0,
    discarded: 0,
    succeeded: 0,
    failed: 0,
    attempts: 0,
    failedAttempts: 0,
    retries: timeline.retries,
    abandonedAttempts: 0,
    wallMs: 0,
    cpuMs: 0,
    peakMemory: 0,
    elapsedMs: timeline.lastAt - timeline.firstAt,
    leaders: timeline.leaders,
  }
  const lost = { failedAttempts: 0, wallMs: 0, abandonedAttempts: 0 }
  for (const [, job] of timeline.jobs.entries()) {
    totals.jobs += 1
    const samples = samplesOf(byTarget, targetGroup(job.name))
    const last = job.attempts.at(-1)
    if (job.discarded) totals.discarded += 1
    else if (last?.outcome === 'succeeded') totals.succeeded += 1
    else if (job.failedCompletely) totals.failed += 1
    for (const a of job.attempts) {
      totals.attempts += 1
      if (a.stats !== null) {
        totals.wallMs += a.stats.wallMs
        totals.cpuMs += a.stats.cpuMs
        totals.peakMemory = Math.max(totals.peakMemory, a.stats.maxRss)
      }
      if (a.outcome === 'failed') {
        totals.failedAttempts += 1
        lost.failedAttempts += 1
        lost.wallMs += a.stats?.wallMs ?? 0
        samples.failedAttempts += 1
      } else if (a.outcome === 'abandoned') {
        totals.abandonedAttempts += 1
        lost.abandonedAttempts += 1
      } else if (a.outcome === 'succeeded') {
        record(samples, a)
      }
    }
  }
  const targets = [...byTarget].map(
    ([name, s]): TargetStats => ({
      name,
      jobs: s.jobs,
      failedAttempts: s.failedAttempts,
      wallMs: spread(s.wall),
      cpuMs: spread(s.cpu),
      waitMs: spread(s.wait),
      memory: spread(s.memory),
    }),
  )
  targets.sort((a, b) => b.wallMs.total - a.wallMs.total || a.name.localeCompare(b.name))
  return { totals, lost, targets, criticalPath: criticalPath(timeline) }
}

function samplesOf(byTarget: Map<string, Samples>, name: string): Samples {
  let s = byTarget.get(name)
  if (s === undefined) {
    s = { jobs: 0, failedAttempts: 0, wall: [], cpu: [], wait: [], memory: [] }
    byTarget.set(name, s)
  }
  return s
}

function record(s: Samples, a: AttemptTiming): void {
  if (a.stats === null) return
  s.jobs += 1
  s.wall.push(a.stats.wallMs)
  s.cpu.push(a.stats.cpuMs)
  s.memory.push(a.stats.maxRss)
  const start = startOf(a)
  if (start !== undefined && a.readyAt >= 0) s.wait.push(Math.max(0, start - a.readyAt))
}

function spread(values: number[]): Spread {
  if (values.length === 0) return { count: 0, min: 0, median: 0, mean: 0, max: 0, total: 0 }
  const sorted = [...values].sort((a, b) => a - b)
  const total = sorted.reduce((a, b) => a + b, 0)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { count: sorted.length, min: sorted[0], median, mean: total / sorted.length, max: sorted[sorted.length - 1], total }
}
