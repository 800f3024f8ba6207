import { EventSource } from '../audit/eventSource.ts'
import { readRunHistory } from '../audit/runHistory.ts'
import { jobName } from '../audit/describe.ts'
import { evolve } from '../decider/jobTree.ts'
import { planRewind, RewindRefused, type RewindPlan } from '../decider/rewindPlan.ts'
import type { JobsRewound } from '../events/catalogue.ts'
import { toJson } from '../events/json.ts'
import { JobtreeError } from '../errors.ts'
import { sweepFiles } from '../files/removal.ts'
import { replay } from '../store/replay.ts'
import { isStore, storePaths } from '../store/store.ts'
import type { RunHistory } from '../decider/inputs.ts'
import { printable } from '../printable.ts'
import { holdStore } from './holdStore.ts'

// `jobtree rewind`: sends jobs that ran back to run again on the next
// restart (Temporal's reset), with what depends on them. It appends one
// event and deletes nothing that the log records: the superseded history
// stays in the log, for replay to show. The bytes of the files the
// superseded attempts wrote go, since no job can read them any more.

export interface RewindFlags {
  job?: number[]
  to?: number
  dryRun?: boolean
  json?: boolean
}

export async function rewindCommand(dir: string, flags: RewindFlags): Promise<number> {
  if ((flags.job === undefined) === (flags.to === undefined)) {
    throw new JobtreeError('BAD_OPTION', 'rewind needs --job ID (a job and what depends on it) or --to SEQ (the run as it was after that event), not both')
  }
  const { root } = storePaths(dir)
  if (!isStore(root)) throw new JobtreeError('STORE_MISSING', `no store at ${root}: nothing to rewind`, { store: root })
  const store = await holdStore(root, 'rewind')
  try {
    const state = await replay(store.log)
    const last = store.log.lastSeq
    if (flags.to !== undefined && flags.to > last) throw new JobtreeError('BAD_INPUT', `event ${flags.to} does not exist: the log ends at event ${last}`)
    const history = await readRunHistory(EventSource.of(store.paths, store.log))
    const asked: JobsRewound['asked'] = flags.job !== undefined ? { jobs: flags.job } : { toSeq: flags.to as number }
    let plan: RewindPlan
    try {
      // Recorded times never go back, as a leader's do not.
      plan = planRewind(state, { type: 'Rewind', now: Math.max(Date.now(), await store.log.lastAt()), asked, history })
    } catch (err) {
      if (err instanceof RewindRefused) throw new JobtreeError('BAD_INPUT', `cannot rewind ${root}: ${err.message}`, { store: root })
      throw err
    }
    if (flags.json) process.stdout.write(`${toJson({ dryRun: flags.dryRun === true, event: plan.event, widened: plan.widened, files: plan.files })}\n`)
    else process.stdout.write(describePlan(plan, history, root, state.module, flags.dryRun === true))
    if (flags.dryRun) return 0
    await store.log.append([plan.event])
    // No attempt of the run is out (the log is ours): what is no longer visible goes.
    sweepFiles(store.paths.files, evolve(state, plan.event))
    return 0
  } finally {
    await store.log.close()
  }
}

/** The jobs, a few by name, then how many more. */
function jobsLine(ids: readonly number[], history: RunHistory): string {
  const named = ids.slice(0, 10).map((id) => {
    const j = history.get(id)
    return j === undefined ? `${id}` : `${id} (${jobName(j.spec)})`
  })
  return `${named.join(', ')}${ids.length > 10 ? `, and ${ids.length - 10} more` : ''}`
}

function describePlan(plan: RewindPlan, history: RunHistory, root: string, module: string, dryRun: boolean): string {
  const e = plan.event
  const asked = 'jobs' in e.asked ? `job ${jobsLine(e.asked.jobs, history)}` : `the run to event ${e.asked.toSeq}`
  const discarded = e.discarded.reduce((n, [, count]) => n + count, 0)
  const lines = [
    `${dryRun ? 'would rewind' : 'rewound'} ${asked} in ${root}:`,
    `  run${dryRun ? '' : 's'} again: ${e.reset.length} job(s): ${jobsLine(
      e.reset.map((r) => r.jobId),
      history,
    )}`,
    `  discarded: ${discarded} job(s) their superseded attempts made`,
    `  files no longer visible: ${plan.files.length}`,
    ...plan.widened.map((w) => `  job ${w.jobId} runs again too: ${w.why}`),
    dryRun ? '  nothing was changed (--dry-run)' : `  they run, with the workflow's current code, on: jobtree run ${module} --store ${root} --restart`,
  ]
  return `${lines.map((line) => printable(line)).join('\n')}\n`
}
