import type { Counts, JobTreeState } from '../decider/jobTreeState.ts'
import type { RunTally } from '../audit/runTally.ts'
import { duration, table } from '../units.ts'

// The words and the block of `jobtree run`'s progress, and its closing
// summary: pure, from the counts, what this leader tallied, and what its
// batch system holds. progress.ts draws them.

export interface ProgressView {
  counts: Counts
  /** Attempts running now, by target; undefined before the batch system can say (then only `issued` is known). */
  running: ReadonlyMap<string, number> | undefined
  tally: RunTally
  /** Since the run started. */
  elapsedMs: number
  /** Jobs done a second, over the last few seconds; undefined until two readings exist. */
  rate: number | undefined
  /** The run has ended: jobs still waiting then never ran because a job they depend on failed. */
  finished: boolean
}

function runningTotal(v: ProgressView): number | undefined {
  if (v.running === undefined) return undefined
  let n = 0
  for (const count of v.running.values()) n += count
  return n
}

/** The jobs by phase: issued ones split into running and queued for resources when the batch system said which. */
function phases(v: ProgressView, doneWord: string): string {
  const c = v.counts
  const running = runningTotal(v)
  const issued = running === undefined ? `${c.issued} issued` : `${running} running, ${Math.max(0, c.issued - running)} queued`
  return `${c.succeeded} ${doneWord}, ${issued}, ${c.ready} ready, ${c.waiting} ${v.finished && c.waiting > 0 ? 'blocked by a failure' : 'waiting'}, ${c.failed} failed`
}

function attempts(t: RunTally): string {
  return t.failedAttempts > 0 ? `; attempts: ${t.failedAttempts} failed, ${t.retried} retried` : ''
}

/** One line, as printed where the output is not a terminal. */
export function progressText(v: ProgressView): string {
  return `jobs: ${phases(v, 'done')}${attempts(v.tally)}`
}

/** Targets shown a line each; the rest are summed in one line. */
const TARGET_LINES = 8

/** The block redrawn in place on a terminal: a bar, the phases, a line a target. No line is wider than `width`. */
export function progressBlock(v: ProgressView, width: number, unicode: boolean): string[] {
  const c = v.counts
  const share = c.total === 0 ? 0 : c.succeeded / c.total
  const cells = 24
  const full = Math.round(share * cells)
  const [on, off] = unicode ? ['█', '░'] : ['#', '.']
  const rate = v.rate === undefined ? '' : ` · ${v.rate < 10 ? v.rate.toFixed(1) : Math.round(v.rate)} jobs/s`
  const lines = [
    `${on.repeat(full)}${off.repeat(cells - full)} ${c.succeeded}/${c.total} jobs done (${Math.floor(share * 100)}%)${rate} · ${duration(v.elapsedMs)}`,
    `${phases(v, 'done')}${attempts(v.tally)}`,
  ]
  const targets = v.tally.counts()
  if (targets.length > 1 || (targets.length === 1 && v.counts.total > 1)) {
    // Targets with work left come first when they do not all fit.
    const shown = targets.length <= TARGET_LINES ? targets : [...targets].sort((a, b) => Number(b.created > b.done) - Number(a.created > a.done))
    const rows = shown.slice(0, targets.length <= TARGET_LINES ? TARGET_LINES : TARGET_LINES - 1).map((t) => {
      const failed = t.failed > 0 ? `${t.failed} failed` : t.failedAttempts > 0 ? `${t.failedAttempts} failed attempt(s)` : ''
      return [`  ${t.name}`, `${t.done}/${t.created} done`, `${v.running?.get(t.name) ?? 0} running`, failed]
    })
    lines.push(...table(rows, 'lrrl'))
    const rest = targets.length - rows.length
    if (rest > 0) lines.push(`  … and ${rest} more target(s)`)
  }
  return lines.map((line) => (line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line))
}

const jobs = (n: number) => `${n} job${n === 1 ? '' : 's'}`

/**
 * The last word of a leader: how the run stands, how long it took, what
 * failed and was retried, and the CPU its attempts used (no tally: no
 * leader ran, the run had already succeeded). `leaderMs` is how long this
 * leader ran, said when it is not the run's first.
 */
export function runSummary(state: JobTreeState, tally: RunTally | undefined, leaderMs: number, store: string): string {
  const c = state.counts
  const end = state.finished?.at ?? Date.now()
  const runMs = state.startedAt > 0 ? end - state.startedAt : leaderMs
  const restarted = tally !== undefined && state.epoch > 1
  const took = `${duration(runMs)}${restarted ? ` (this leader: ${duration(leaderMs)})` : ''}`
  const head =
    state.finished === null
      ? `leader stopped after ${took}: ${c.succeeded} of ${c.total} jobs done, the rest to run on a restart`
      : state.finished.ok
        ? `workflow finished in ${took}: ${jobs(c.succeeded)} succeeded`
        : `workflow failed after ${took}: ${jobs(c.succeeded)} succeeded, ${c.failed} failed completely${c.waiting > 0 ? `, ${c.waiting} blocked by a failure` : ''}`
  if (tally === undefined) return `${head} (store ${store})`
  return `${head}${attempts(tally)}; CPU ${duration(tally.cpuMs)}${restarted ? ' under this leader' : ''} (store ${store})`
}
