import type { Recorded } from '../events/catalogue.ts'
import { JobtreeError } from '../errors.ts'
import { EventSource } from '../audit/eventSource.ts'
import { firstEventAt, foldEvents, type FoldRange } from '../audit/fold.ts'
import { emptyAudit, evolveAudit, type AuditState } from '../audit/auditState.ts'
import { describeEvent } from '../audit/describeEvent.ts'
import { ancestry, emptyHistory, evolveHistory, historyEvents, supersededBy, type JobHistory } from '../audit/history.ts'
import { treeView, type JobView } from '../audit/treeView.ts'
import { toJson } from '../events/json.ts'
import type { Moment } from './options.ts'
import { stepCommand } from './stepCommand.ts'
import { duration, isoTime, size, table } from '../units.ts'
import { verifyCommand } from './verifyCommand.ts'

export interface ReplayFlags {
  to?: number
  at?: Moment
  job?: number
  step?: boolean
  verify?: boolean
  depth?: number
  json?: boolean
}

/** `jobtree replay`: the run as it stood after an event; returns the exit code. */
export async function replayCommand(dir: string, flags: ReplayFlags): Promise<number> {
  checkFlags(flags)
  const source = await EventSource.open(dir)
  try {
    const last = await source.lastSeq()
    if (flags.to !== undefined && flags.to > last) {
      throw new JobtreeError('BAD_OPTION', `--to ${flags.to} is past the end of the log, which has ${last} events`, { to: flags.to, last })
    }
    const asked = await rangeOf(source, flags)
    // Stepping starts at the first event unless told otherwise.
    if (flags.step) return await stepCommand(source, asked, last)
    // A live log grows while it is read: stay with the events there were when the command began.
    const range = { ...asked, to: flags.to ?? last }
    if (flags.verify) return await verifyCommand(source, range, flags.json === true)
    if (flags.job !== undefined) return await printHistory(source, range, flags.job, last, flags.json === true)
    const state = await foldEvents(source, emptyAudit, evolveAudit, range)
    const rows = treeView(state, flags.depth)
    process.stdout.write(flags.json ? toJson(treeJson(source, state, last, rows)) + '\n' : formatTree(source, state, last, rows))
    return 0
  } finally {
    await source.close()
  }
}

function checkFlags(flags: ReplayFlags): void {
  const bad = (message: string) => new JobtreeError('BAD_OPTION', message)
  if (flags.to !== undefined && flags.at !== undefined) throw bad('give --to or --at, not both')
  const modes = [flags.job !== undefined && '--job', flags.step && '--step', flags.verify && '--verify'].filter((m) => m)
  if (modes.length > 1) throw bad(`${modes.join(' and ')} cannot be combined`)
  if (flags.step && flags.json) throw bad('--step is interactive: it has no --json')
  if (flags.depth !== undefined && modes.length > 0) throw bad('--depth limits the tree; it does not go with --job, --step or --verify')
}

/** The events to fold: up to --to, or those recorded at or before --at. */
async function rangeOf(source: EventSource, flags: ReplayFlags): Promise<FoldRange> {
  if (flags.at === undefined) return { to: flags.to }
  const at = flags.at
  let time: number
  if ('absolute' in at) {
    time = at.absolute
  } else {
    const first = await firstEventAt(source)
    time = (first ?? 0) + at.afterStart
  }
  // The log's order is the truth: a clock that stepped back cannot bring an event before one it follows.
  return { stopBefore: (r: Recorded) => r.event.at > time }
}

function header(source: EventSource, state: AuditState, last: number): string[] {
  const t = state.timeline
  const at =
    state.seq === 0 ? 'before the first event' : `event ${state.seq} of ${last}, at ${isoTime(state.at)} (${duration(state.at - t.firstAt)} into the run)`
  const c = state.tree.counts
  const finished = state.tree.finished
  return [
    `store:    ${source.paths.root}${source.live ? ' (a leader is running it)' : ''}`,
    `position: ${at}`,
    `jobs:     ${c.total} created: ${c.succeeded} succeeded, ${c.issued} issued, ${c.ready} ready, ${c.waiting} waiting, ${c.failed} failed` +
      (finished === null ? '' : finished.ok ? '; the run had finished successfully' : '; the run had finished with failures'),
    ...(state.tree.nextFileNo === 0 ? [] : [filesLine(source, state)]),
  ]
}

/** The files visible at this point, for a run that has written any. */
function filesLine(source: EventSource, state: AuditState): string {
  const { visible, bytes } = fileTotals(state)
  return `files:    ${visible} visible, ${size(bytes)} (jobtree files ${source.paths.root} --to ${state.seq} lists them)`
}

function fileTotals(state: AuditState): { visible: number; bytes: number } {
  let bytes = 0
  for (const [, file] of state.tree.files.entries()) bytes += file.size
  return { visible: state.tree.liveFiles, bytes }
}

/**
 * Deeper than this, a row says its depth instead of being indented further:
 * a chain of follow-ons 100,000 deep would otherwise take 10^10 spaces.
 */
const MAX_INDENT = 40

function indent(depth: number): string {
  return depth <= MAX_INDENT ? '  '.repeat(depth) : `${'  '.repeat(MAX_INDENT)}[depth ${depth}] `
}

function formatTree(source: EventSource, state: AuditState, last: number, rows: JobView[]): string {
  const cells = rows.map((r) => [
    `${indent(r.depth)}${r.id} ${r.name}${r.relation === 'followOn' ? ' (follow-on)' : ''}`,
    r.state,
    r.failures > 0 ? `${r.attempts} (${r.failures} failed)` : String(r.attempts),
    time(r.waitMs, r.ongoing && r.runMs === null),
    time(r.runMs, r.ongoing && r.runMs !== null),
  ])
  const lines = rows.length === 0 ? ['(no jobs yet)'] : table([['JOB', 'STATE', 'ATTEMPTS', 'WAIT', 'RUN'], ...cells])
  return [...header(source, state, last), '', ...lines].join('\n') + '\n'
}

function time(ms: number | null, growing: boolean): string {
  return ms === null ? '-' : `${duration(ms)}${growing ? '+' : ''}`
}

function treeJson(source: EventSource, state: AuditState, last: number, rows: JobView[]) {
  return {
    store: source.paths.root,
    live: source.live,
    seq: state.seq,
    lastSeq: last,
    at: state.at,
    counts: state.tree.counts,
    files: fileTotals(state),
    finished: state.tree.finished,
    jobs: rows,
  }
}

async function printHistory(source: EventSource, range: FoldRange, jobId: number, last: number, json: boolean): Promise<number> {
  const both = await foldEvents(
    source,
    { audit: emptyAudit, history: emptyHistory(jobId) },
    (s: { audit: AuditState; history: JobHistory }, r: Recorded) => ({ audit: evolveAudit(s.audit, r), history: evolveHistory(s.history, r) }),
    range,
  )
  const { audit, history } = both
  const job = treeView(audit).find((v) => v.id === jobId)
  if (job === undefined) {
    const created = audit.tree.nextJobId
    throw new JobtreeError(
      'BAD_OPTION',
      `job ${jobId} does not exist at event ${audit.seq} (${created === 0 ? 'no job was created yet' : `jobs 0 to ${created - 1} were`})`,
      { jobId },
    )
  }
  const chain = ancestry(history)
  const events = historyEvents(history)
  const superseded = supersededBy(history)
  if (json) {
    const listed = events.map((r) => ({ seq: r.seq, ...r.event, ...(superseded.has(r.seq) ? { supersededBy: superseded.get(r.seq) } : {}) }))
    process.stdout.write(toJson({ store: source.paths.root, seq: audit.seq, lastSeq: last, job, ancestry: chain, events: listed }) + '\n')
    return 0
  }
  const name = (id: number) => history.lineage.get(id)?.name ?? '?'
  const lineage = chain.slice(1).map((a, i) => `${chain[i].relation === 'followOn' ? 'follow-on' : 'child'} of job ${a.id} (${a.name})`)
  const lines = [
    `job ${jobId} (${job.name})${chain[0]?.relation === 'root' ? ', the root' : `: ${lineage.join(', ')}`}`,
    `at event ${audit.seq} of ${last}: ${job.state}, ${job.attempts} attempt(s), ${job.failures} failed`,
    '',
    ...table(
      events.map((r) => {
        const by = superseded.get(r.seq)
        const text = describeEvent(r.event, name)
        return [
          `#${r.seq}`,
          `+${duration(Math.max(0, r.event.at - audit.timeline.firstAt))}`,
          r.event.type,
          by === undefined ? text : `(superseded by #${by}) ${text}`,
        ]
      }),
      'rrll',
    ).map((l) => `  ${l}`),
  ]
  process.stdout.write(lines.join('\n') + '\n')
  return 0
}
