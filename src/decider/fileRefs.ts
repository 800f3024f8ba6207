import type { FileDeleted, FileExported, FilesReleased, FileWritten } from '../events/catalogue.ts'
import { eachFileId, formatFileId, parseFileId } from '../events/fileId.ts'
import type { Batch, PVec } from './pvec.ts'
import { ProjectionError, type FileEntry, type FileRange, type JobRecord } from './jobTreeState.ts'

// How the job tree keeps track of the store's files: which are visible,
// and who may still read each. A file may be read by a job holding its id:
// through its input (until it succeeds: a failed job may be revived), or
// through a value the state keeps (a live job's, one a promise may ask for,
// the root's). While its owner's subtree runs, the owner's successors may
// still be handed it; once that is done and nothing names it, nothing ever
// can again, and it is an orphan, for the leader to release. Exported files
// are kept.

/** The fields of the working state this file reads and writes. */
export interface FileFields {
  runId: string
  jobs: PVec<JobRecord>
  files: PVec<FileEntry>
  fileRanges: PVec<FileRange>
  fileOrphans: PVec<number>
  liveFiles: number
  nextFileNo: number
  readonly made: Batch
}

export function fileWritten(s: FileFields, e: FileWritten): void {
  let range = s.fileRanges.get(e.jobId + 1)
  if (range === undefined || range.attempt !== e.attempt) range = { attempt: e.attempt, first: s.nextFileNo, count: 0 }
  const no = range.first + e.n
  if (e.n < range.count) throw new ProjectionError(`file ${e.n} of job ${e.jobId} attempt ${e.attempt} recorded twice or out of order`)
  s.fileRanges = s.fileRanges.set(e.jobId + 1, { ...range, count: e.n + 1 }, s.made)
  s.nextFileNo = Math.max(s.nextFileNo, no + 1)
  const id = formatFileId({ runId: s.runId, jobId: e.jobId, attempt: e.attempt, n: e.n, size: e.size, sha256: e.sha256, name: e.name })
  const entry: FileEntry = { id, jobId: e.jobId, attempt: e.attempt, size: e.size, refs: 0, exported: false }
  s.files = s.files.set(no, entry, s.made)
  s.liveFiles += 1
  check(s, no, entry)
}

export function fileDeleted(s: FileFields, e: FileDeleted): void {
  remove(s, e.file)
}

export function filesReleased(s: FileFields, e: FilesReleased): void {
  for (const file of e.files) remove(s, file)
}

export function fileExported(s: FileFields, e: FileExported): void {
  const found = lookup(s, e.file)
  if (found === undefined) return
  s.files = s.files.set(found.no, { ...found.entry, exported: true }, s.made)
  s.fileOrphans = s.fileOrphans.set(found.no, undefined, s.made)
}

/** Counts (+1) or lets go of (-1) the files `value` names, `times` over (jobs created alike). */
export function countFiles(s: FileFields, value: unknown, delta: 1 | -1, times = 1): void {
  if (s.liveFiles === 0) return
  eachFileId(value, s.runId, (_, id) => {
    const found = lookup(s, id)
    // A file deleted while named: its mentions no longer count.
    if (found === undefined) return
    const entry = { ...found.entry, refs: found.entry.refs + delta * times }
    s.files = s.files.set(found.no, entry, s.made)
    check(s, found.no, entry)
  })
}

/** A job's whole subtree is done: the files it wrote that nothing names are orphans now. */
export function ownerDone(s: FileFields, jobId: number): void {
  if (s.liveFiles === 0) return
  const range = s.fileRanges.get(jobId + 1)
  if (range === undefined) return
  for (let no = range.first; no < range.first + range.count; no++) {
    const entry = s.files.get(no)
    if (entry !== undefined) check(s, no, entry)
  }
}

/** The visible file `id` names (its number and entry), or undefined. */
export function lookup(s: Pick<FileFields, 'files' | 'fileRanges'>, id: string): { no: number; entry: FileEntry } | undefined {
  const ref = parseFileId(id)
  if (ref === undefined) return undefined
  const range = s.fileRanges.get(ref.jobId + 1)
  if (range === undefined || range.attempt !== ref.attempt || ref.n >= range.count) return undefined
  const no = range.first + ref.n
  const entry = s.files.get(no)
  return entry?.id === id ? { no, entry } : undefined
}

/** Keeps `fileOrphans` exactly the files nothing can read any more. */
function check(s: FileFields, no: number, entry: FileEntry): void {
  const orphan = entry.refs === 0 && !entry.exported && s.jobs.get(entry.jobId) === undefined
  if (orphan !== (s.fileOrphans.get(no) !== undefined)) s.fileOrphans = s.fileOrphans.set(no, orphan ? 1 : undefined, s.made)
}

function remove(s: FileFields, id: string): void {
  const found = lookup(s, id)
  if (found === undefined) return
  s.files = s.files.set(found.no, undefined, s.made)
  s.fileOrphans = s.fileOrphans.set(found.no, undefined, s.made)
  s.liveFiles -= 1
}

/** The ids of the files nothing can read any more, in the order they were written. */
export function orphanFiles(s: Pick<FileFields, 'files' | 'fileOrphans'>): string[] {
  const ids: string[] = []
  for (const [no] of s.fileOrphans.entries()) {
    const entry = s.files.get(no)
    if (entry !== undefined) ids.push(entry.id)
  }
  return ids
}
