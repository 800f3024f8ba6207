import { EventSource } from '../audit/eventSource.ts'
import { foldEvents } from '../audit/fold.ts'
import { emptyAudit, evolveAudit } from '../audit/auditState.ts'
import { summarize, type Spread, type StatsReport } from '../audit/stats.ts'
import { toJson } from '../events/json.ts'
import { duration, size, table } from '../units.ts'

/** `jobtree stats`: times, CPU and memory of a run, from its log (or its running leader). */
export async function statsCommand(dir: string, flags: { json?: boolean }): Promise<number> {
  const source = await EventSource.open(dir)
  try {
    const state = await foldEvents(source, emptyAudit, evolveAudit)
    const report = summarize(state.timeline)
    const out = { store: source.paths.root, live: source.live, seq: state.seq, ...report }
    process.stdout.write(flags.json ? toJson(out) + '\n' : formatStats(out))
    return 0
  } finally {
    await source.close()
  }
}

function formatStats(r: StatsReport & { store: string; live: boolean; seq: number }): string {
  const t = r.totals
  const lines = [
    `store:    ${r.store}${r.live ? ' (a leader is running it: figures so far)' : ''}`,
    `jobs:     ${t.jobs} created${t.discarded > 0 ? ` (${t.discarded} discarded by a rewind)` : ''}, ${t.succeeded} succeeded, ${t.failed} failed completely; ${duration(t.elapsedMs)} from first to last event, ${t.leaders} leader(s)`,
    `attempts: ${t.attempts}: ${t.failedAttempts} failed, ${t.retries} retried, ${t.abandonedAttempts} abandoned`,
    `totals:   wall ${duration(t.wallMs)}, CPU ${duration(t.cpuMs)}, peak memory ${size(t.peakMemory)}`,
    `lost:     ${duration(r.lost.wallMs)} of wall time in ${r.lost.failedAttempts} failed attempt(s); ${r.lost.abandonedAttempts} attempt(s) abandoned by a stopping leader`,
    '',
  ]
  const rows: string[][] = [['TARGET', 'JOBS', 'FAILED', 'MEASURE', 'MIN', 'MEDIAN', 'MEAN', 'MAX', 'TOTAL']]
  for (const target of r.targets) {
    const measures: Array<[string, Spread, (n: number) => string]> = [
      ['wall', target.wallMs, duration],
      ['cpu', target.cpuMs, duration],
      ['wait', target.waitMs, duration],
      ['memory', target.memory, size],
    ]
    measures.forEach(([measure, s, unit], i) => {
      const head = i === 0 ? [target.name, String(target.jobs), String(target.failedAttempts)] : ['', '', '']
      // A sum of peaks says nothing (jobs do not all run at once): memory has no total.
      const total = measure === 'memory' ? '' : s.count === 0 ? '-' : unit(s.total)
      rows.push([...head, measure, ...[s.min, s.median, s.mean, s.max].map((n) => (s.count === 0 ? '-' : unit(n))), total])
    })
  }
  lines.push(...(r.targets.length === 0 ? ['(no jobs)'] : table(rows)))
  const path = r.criticalPath
  lines.push(
    '',
    `critical path: ${duration(path.totalMs)} (running ${duration(path.runMs)}, waiting ${duration(path.waitMs)}), ${path.steps.length} attempt(s):`,
  )
  for (const s of path.steps) {
    lines.push(`  job ${s.jobId} (${s.name}) attempt ${s.attempt}, ${s.outcome}: waited ${duration(s.waitMs)}, ran ${duration(s.runMs)}`)
  }
  return lines.join('\n') + '\n'
}
