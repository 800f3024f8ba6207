import type {
  AttemptFiles,
  FileWritten,
  WrittenFile,
  JobCreated,
  JobEvent,
  JobFailed,
  JobFinished,
  JobsCreated,
  JobSpec,
  MessageLogged,
  SuccessorSpec,
} from '../events/catalogue.ts'
import { createsJobs } from '../events/jobsOf.ts'
import { makeToken, mapTokens } from '../events/promise.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import type { AttemptSucceeded, HeldAttempt, Input } from '../decider/inputs.ts'

// The log records decisions, not the inputs that led to them; but every
// input leaves its facts in the events it caused. This rebuilds, from the
// events at the head of the unverified log, the inputs that may have caused
// them, most telling first: the verifier keeps the first whose decision is
// exactly what was recorded. An input that caused no event (a stale outcome,
// a clock tick with nothing to do) left nothing to check, and changed nothing.

/** The events from the head of the unverified part of the log on (undefined past its end). */
export type Peek = (offset: number) => Promise<JobEvent | undefined>

export async function candidateInputs(state: JobTreeState, peek: Peek): Promise<Input[]> {
  const e = await peek(0)
  if (e === undefined) return []
  const now = e.at
  switch (e.type) {
    case 'WorkflowStarted': {
      const imports: WrittenFile[] = []
      let root = await peek(1)
      for (; root?.type === 'FileWritten' && root.jobId === -1; root = await peek(1 + imports.length)) imports.push(writtenFile(root))
      if (root?.type !== 'JobCreated') return []
      const start: Input = { type: 'Start', now, runId: e.runId, module: e.module, target: e.target, root: root.spec, config: e.config }
      return [imports.length > 0 ? { ...start, imports } : start]
    }
    case 'WorkflowResumed':
      return [{ type: 'Resume', now, config: e.config }]
    case 'WorkflowInterrupted':
      return [{ type: 'Interrupt', now, reason: e.reason }]
    case 'JobIssued':
    case 'JobBackoffElapsed':
    case 'WorkflowFinished':
    case 'FilesReleased':
      return [{ type: 'Schedule', now }]
    case 'MessageLogged':
    case 'JobFinished':
    case 'FileWritten':
    case 'FileDeleted':
    case 'FileExported':
      return outcome(peek)
    case 'JobFailed':
      if (e.reason.kind === 'deadlock') return [{ type: 'Schedule', now }]
      if (e.reason.kind === 'lost' || e.reason.kind === 'timeout') return [await rescue(state, peek), ...(await outcome(peek))]
      return outcome(peek)
    default:
      // Created, retried, given up, abandoned, revived: only ever part of another input's decision.
      return []
  }
}

/**
 * An attempt's outcome: its messages, then what it did in the file store,
 * JobFinished and the jobs it created; or its messages and JobFailed.
 */
async function outcome(peek: Peek): Promise<Input[]> {
  const messages: MessageLogged[] = []
  let i = 0
  let e = await peek(0)
  for (; e?.type === 'MessageLogged'; e = await peek(++i)) messages.push(e)
  const files: AttemptFiles = { written: [], deleted: [], exported: [] }
  for (; e?.type === 'FileWritten' || e?.type === 'FileDeleted' || e?.type === 'FileExported'; e = await peek(++i)) {
    if (e.type === 'FileWritten') files.written.push(writtenFile(e))
    else if (e.type === 'FileDeleted') files.deleted.push(e.file)
    else files.exported.push({ file: e.file, path: e.path })
  }
  if (e === undefined) return []
  if (e.type !== 'JobFinished' && e.type !== 'JobFailed') return []
  const texts = messages.filter((m) => m.jobId === e.jobId && m.attempt === e.attempt && m.at === e.at).map((m) => m.text)
  if (texts.length !== messages.length) return []
  if (e.type === 'JobFailed') {
    return [{ type: 'AttemptFailed', now: e.at, jobId: e.jobId, attempt: e.attempt, reason: e.reason, messages: texts, ...(e.stats ? { stats: e.stats } : {}) }]
  }
  const created = await createdAfter(e, peek, i + 1)
  // A worker that went on to run the lone successor itself said so with the outcome.
  const next = await peek(i + 1 + created.length)
  const chainedTo = next?.type === 'JobIssued' && next.chainedFrom === e.jobId ? next.jobId : undefined
  const input = succeeded(e, texts, created, chainedTo)
  return [files.written.length + files.deleted.length + files.exported.length > 0 ? { ...input, files } : input]
}

function writtenFile(e: FileWritten): WrittenFile {
  return { n: e.n, size: e.size, sha256: e.sha256, name: e.name }
}

/** The events after `e` that created its successors (a JobsCreated, a run of them). */
async function createdAfter(e: JobFinished, peek: Peek, offset: number): Promise<Array<JobCreated | JobsCreated>> {
  const created: Array<JobCreated | JobsCreated> = []
  const n = e.successors.children + e.successors.followOns
  for (let jobs = 0; jobs < n; ) {
    const c = await peek(offset + created.length)
    if (!createsJobs(c) || c.parent !== e.jobId) break
    created.push(c)
    jobs += c.type === 'JobsCreated' ? c.count : 1
  }
  return created
}

/**
 * The leader turns a worker's local promise tokens (a successor named by
 * its position among those the attempt added) into job ids; this turns the
 * new jobs' ids back into positions. A token could not name one of them
 * otherwise: they had no ids before this attempt ended.
 */
function succeeded(e: JobFinished, messages: string[], created: Array<JobCreated | JobsCreated>, chainedTo: number | undefined): AttemptSucceeded {
  const first = e.successors.first
  const added = e.successors.children + e.successors.followOns
  const localize = (value: unknown): unknown =>
    mapTokens(value, (ref) =>
      ref.job !== undefined && ref.job >= first && ref.job < first + added ? makeToken({ local: ref.job - first, path: ref.path }) : makeToken(ref),
    )
  const successors: SuccessorSpec[] = []
  for (const c of created) {
    // One spec object for a run, as the worker sent it: the decision groups it again.
    const successor: SuccessorSpec = { relation: c.relation === 'followOn' ? 'followOn' : 'child', spec: localizeSpec(c.spec, localize) }
    for (let k = c.type === 'JobsCreated' ? c.count : 1; k > 0; k--) successors.push(successor)
  }
  return {
    type: 'AttemptSucceeded',
    now: e.at,
    jobId: e.jobId,
    attempt: e.attempt,
    value: localize(e.value),
    successors,
    messages,
    stats: e.stats,
    ...(chainedTo === undefined ? {} : { chainedTo }),
  }
}

function localizeSpec(spec: JobSpec, localize: (v: unknown) => unknown): JobSpec {
  if (spec.work.kind !== 'target') return spec
  return { ...spec, work: { ...spec.work, input: localize(spec.work.input) } }
}

/**
 * A rescue check: the batch system held every issued attempt but those found
 * lost; those failed for running too long had run the seconds recorded
 * (or just past their limit), and the others are taken as not started.
 */
async function rescue(state: JobTreeState, peek: Peek): Promise<Input> {
  const first = (await peek(0)) as JobFailed
  const failed = new Map<number, JobFailed>()
  for (let i = 0; ; i += 2) {
    const e = await peek(i)
    if (e?.type !== 'JobFailed' || e.at !== first.at || (e.reason.kind !== 'lost' && e.reason.kind !== 'timeout')) break
    failed.set(e.jobId, e)
  }
  const held: HeldAttempt[] = []
  for (const [, job] of state.jobs.entries()) {
    if (job.phase !== 'issued') continue
    const f = failed.get(job.id)
    if (f?.reason.kind === 'lost') continue
    let ranMs: number | null = null
    if (f?.reason.kind === 'timeout') ranMs = Math.max(f.reason.ranSeconds * 1000, Math.floor(f.reason.limitSeconds * 1000) + 1)
    held.push({ jobId: job.id, attempt: job.attempts, ranMs })
  }
  return { type: 'Rescue', now: first.at, held }
}
