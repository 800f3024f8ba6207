// What ran, as the jobs themselves recorded it, against what the log says:
// the record is written by the workers, the log by the leader, so a job that
// runs unlicensed, twice, or not at all shows as a disagreement. A suite maps
// its own record lines to these few fields.

/** One recorded mark of an attempt: a line of a record file. */
export interface RanAttempt {
  attempt: number
  /** Its line number in the record, where the suite knows it. */
  at?: number
}

/** A record line as it names its job: by path, and by the id the job saw. */
export interface RanLine extends RanAttempt {
  path: string
  job: number
}

const where = (l: RanAttempt) => (l.at === undefined ? '' : ` (record line ${l.at})`)

/** Every line of the record is whole: a torn or unreadable one is a write that went wrong. */
export function wholeLines(unreadable: Iterable<{ raw: string; at?: number; why?: string }>): string[] {
  return [...unreadable].map(
    ({ raw, at, why }) => `${at === undefined ? 'a record line' : `record line ${at}`} ${why ?? 'is torn (not JSON)'}: ${raw.slice(0, 200)}`,
  )
}

/** The record names only planned jobs. */
export function onlyPlannedRan(lines: Iterable<RanLine>, planned: (path: string) => boolean): string[] {
  return [...lines].filter((l) => !planned(l.path)).map((l) => `the record names ${l.path}, which is not planned${where(l)}`)
}

/** A planned job ran under the id the log numbered it with. */
export function ranUnderItsId(lines: Iterable<RanLine>, planned: (path: string) => boolean, idOf: ReadonlyMap<string, number>): string[] {
  const problems: string[] = []
  for (const l of lines) {
    const id = idOf.get(l.path)
    if (planned(l.path) && id !== l.job)
      problems.push(`${l.path} ran as job ${l.job}${where(l)}, but the log numbered it ${id === undefined ? 'not at all' : `job ${id}`}`)
  }
  return problems
}

/** Write-ahead: every attempt that ran was issued in the log first. */
export function issuedBeforeRun(lines: Iterable<RanLine>, issued: (jobId: number) => readonly number[], name: (path: string) => string): string[] {
  const problems: string[] = []
  for (const l of lines) {
    if (!issued(l.job).includes(l.attempt))
      problems.push(`${name(l.path)} ran attempt ${l.attempt}${where(l)}, which the log never issued (write-ahead broken)`)
  }
  return problems
}

export interface RanOrNot {
  name: string
  /** Whether the plan has it run: a job that waits for one that cannot succeed never does. */
  runs: boolean
  ran: readonly RanAttempt[]
  /** Attempts the log issued. */
  issued: number
}

/** Every job that can run ran, and no job that cannot was issued or ran. */
export function ranAsExpected(jobs: Iterable<RanOrNot>): string[] {
  const problems: string[] = []
  for (const { name, runs, ran, issued } of jobs) {
    if (runs && ran.length === 0) problems.push(`${name} never ran (no line in the record)`)
    if (!runs && ran.length > 0) problems.push(`${name} ran (attempts ${ran.map((l) => l.attempt).join(', ')}), though it waits for a job that cannot succeed`)
    if (!runs && issued > 0) problems.push(`${name} was issued, though it waits for a job that cannot succeed`)
  }
  return problems
}

export interface FinishedRuns {
  name: string
  /** The attempt its JobFinished names. */
  finished: number
  ran: readonly RanAttempt[]
}

/** A job whose success reached the log never runs again: no attempt after the one that finished. */
export function noRunAfterFinish(jobs: Iterable<FinishedRuns>): string[] {
  const problems: string[] = []
  for (const { name, finished, ran } of jobs) {
    for (const l of ran) if (l.attempt > finished) problems.push(`${name} ran attempt ${l.attempt}${where(l)} after attempt ${finished} had finished`)
  }
  return problems
}

/** An attempt before the one that finished was abandoned (its leader died): none failed, in a run planned without failures. */
export function earlierAttemptsAbandoned(jobs: Iterable<FinishedRuns & { id: number }>, abandoned: ReadonlySet<string>): string[] {
  const problems: string[] = []
  for (const { name, id, finished, ran } of jobs) {
    for (const l of ran) {
      if (l.attempt < finished && !abandoned.has(`${id}:${l.attempt}`))
        problems.push(`${name} ran attempt ${l.attempt}${where(l)}, which neither succeeded nor was abandoned`)
    }
  }
  return problems
}

/** The attempt that finished left exactly one line of each kind the job writes (`marks`: lines by kind). */
export function finishedAttemptRanOnce(jobs: Iterable<{ name: string; finished: number; marks: Record<string, readonly RanAttempt[]> }>): string[] {
  const problems: string[] = []
  for (const { name, finished, marks } of jobs) {
    const counts = Object.entries(marks).map(([kind, lines]) => ({ kind, n: lines.filter((l) => l.attempt === finished).length }))
    if (counts.some((c) => c.n !== 1))
      problems.push(`${name}'s finished attempt ${finished} has ${counts.map((c) => `${c.n} ${c.kind}`).join(' and ')} line(s), not one of each`)
  }
  return problems
}

/** The attempt that finished started before it ended. */
export function endedAfterStarted(jobs: Iterable<{ name: string; start: number | undefined; end: number | undefined }>): string[] {
  const problems: string[] = []
  for (const { name, start, end } of jobs) {
    if (start !== undefined && end !== undefined && end < start) problems.push(`${name} ended (line ${end}) before it started (line ${start})`)
  }
  return problems
}

/** A job's lines say it is of the relation planned (child, follow-on, root). */
export function recordedRelations(jobs: Iterable<{ name: string; rel: string; recorded: Iterable<string | undefined> }>): string[] {
  const problems: string[] = []
  for (const { name, rel, recorded } of jobs) {
    for (const r of recorded) if (r !== undefined && r !== rel) problems.push(`${name} says it is a ${r}, planned as a ${rel}`)
  }
  return problems
}
