// The file store against its log: after a run, `files/` holds exactly the
// files the log leaves visible, each whole (its size and SHA-256 those its id
// names), nothing partial; and no job was ever handed a file of an attempt
// that did not succeed.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { JobEvent } from '../../../src/events/catalogue.ts'
import { eachFileId, parseFileId } from '../../../src/events/fileId.ts'
import { evolve } from '../../../src/decider/jobTree.ts'
import { initialState, type JobTreeState } from '../../../src/decider/jobTreeState.ts'
import { storeFilePath } from '../../../src/files/storeFile.ts'

/** The projected state after `events`. */
export function stateOf(events: readonly JobEvent[]): JobTreeState {
  return events.reduce(evolve, initialState)
}

/** Every path under `dir`, relative to it (files only). */
export function filesUnder(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  } catch {
    return []
  }
  return names.filter((name) => !isDir(join(dir, name))).sort()
}

function isDir(path: string): boolean {
  try {
    readdirSync(path)
    return true
  } catch {
    return false
  }
}

/** What is wrong with the files directory `filesDir` after a run whose log is `events`: visible files missing or damaged, others present. */
export function storeFilesProblems(filesDir: string, events: readonly JobEvent[]): string[] {
  const visible = visibleFiles(filesDir, events)
  const stray = filesUnder(filesDir)
    .filter((name) => !visible.has(name))
    .map((name) => `files/${name} is in the store, but the log does not make it visible`)
  return [...stray, ...visibleFileProblems(filesDir, events)]
}

/** The files the log leaves visible, by their path under `filesDir`. */
function visibleFiles(filesDir: string, events: readonly JobEvent[]): Map<string, string> {
  const visible = new Map<string, string>()
  for (const [, entry] of stateOf(events).files.entries()) {
    const ref = parseFileId(entry.id)
    if (ref !== undefined) visible.set(relative(filesDir, storeFilePath(filesDir, ref)), entry.id)
  }
  return visible
}

/** Visible files that are missing, short or damaged (a crash may leave others beside them, for the next leader to sweep). */
export function visibleFileProblems(filesDir: string, events: readonly JobEvent[]): string[] {
  const problems: string[] = []
  const present = new Set(filesUnder(filesDir))
  for (const [name, id] of visibleFiles(filesDir, events)) {
    const ref = parseFileId(id)
    if (ref === undefined) continue
    if (!present.has(name)) {
      problems.push(`files/${name} (${id}) is visible in the log, but not in the store`)
      continue
    }
    const bytes = readFileSync(join(filesDir, name))
    const sha = createHash('sha256').update(bytes).digest('hex')
    if (bytes.length !== ref.size || sha !== ref.sha256) problems.push(`files/${name} is damaged: ${bytes.length} bytes, not ${ref.size}`)
  }
  return problems
}

/** Files named in an input or a value of the log that an attempt wrote that did not succeed. */
export function filesOfFailedAttempts(events: readonly JobEvent[]): string[] {
  const runId = events.find((e) => e.type === 'WorkflowStarted')?.runId ?? ''
  const succeeded = new Set<string>()
  for (const e of events) if (e.type === 'JobFinished') succeeded.add(`${e.jobId}-${e.attempt}`)
  succeeded.add('-1-0')
  const wrong: string[] = []
  const check = (value: unknown) =>
    eachFileId(value, runId, (ref, id) => {
      if (!succeeded.has(`${ref.jobId}-${ref.attempt}`)) wrong.push(id)
    })
  for (const e of events) {
    if (e.type === 'FileWritten' && !succeeded.has(`${e.jobId}-${e.attempt}`))
      wrong.push(`file ${e.n} of job ${e.jobId} attempt ${e.attempt}, recorded as written`)
    if (e.type === 'JobFinished') check(e.value)
    if ((e.type === 'JobCreated' || e.type === 'JobsCreated') && e.spec.work.kind === 'target') check(e.spec.work.input)
  }
  return wrong
}
