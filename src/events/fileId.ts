import { JobtreeError } from '../errors.ts'

// A file in the store is named by a FileId: a plain string that says which
// run, job, attempt and write made it, and its size and SHA-256, so that any
// process can find the bytes and check them without the log, and a value
// naming a file can travel anywhere a value can (a return value, a child's
// input, a promise). The leader finds the files a value names by looking for
// strings of this shape.
//
//   file:<run id>:<job>-<attempt>-<n>:<size>:<sha256>:<name>
//
// Job -1, attempt 0 holds the files imported when the run started.

/** A file in the run's store, as a job passes it around. */
export type FileId = string

/** A file an attempt wrote, as its worker reports it (recorded as FileWritten). */
export interface WrittenFile {
  /** The file's place among those its attempt wrote, from 0. */
  n: number
  size: number
  sha256: string
  name: string
}

export interface FileRef extends WrittenFile {
  runId: string
  jobId: number
  attempt: number
}

const PREFIX = 'file:'
const SHAPE = /^file:([^:]+):(-?\d+)-(\d+)-(\d+):(\d+):([0-9a-f]{64}):(.*)$/s

export function formatFileId(ref: FileRef): FileId {
  return `${PREFIX}${ref.runId}:${ref.jobId}-${ref.attempt}-${ref.n}:${ref.size}:${ref.sha256}:${ref.name}`
}

/** The parts of `value` when it is a FileId, else undefined. */
export function parseFileId(value: unknown): FileRef | undefined {
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return undefined
  const m = SHAPE.exec(value)
  if (m === null) return undefined
  return { runId: m[1], jobId: Number(m[2]), attempt: Number(m[3]), n: Number(m[4]), size: Number(m[5]), sha256: m[6], name: m[7] }
}

/** The parts of `id`, or a one-line error naming what is wrong with it. */
export function mustParseFileId(id: unknown, runId: string): FileRef {
  const ref = parseFileId(id)
  if (ref === undefined) throw new JobtreeError('BAD_INPUT', `${JSON.stringify(id)} is not a file id (one is made by ctx.files.write or an import)`)
  if (ref.runId !== runId) throw new JobtreeError('BAD_INPUT', `file ${ref.name} (${String(id)}) belongs to run ${ref.runId}, not to this run (${runId})`)
  return ref
}

/** The name a file keeps in its id: the last part of a path, with nothing that could be read as a path or a line. */
export function fileName(name: string): string {
  const base =
    name
      .split('/')
      .filter((part) => part !== '')
      .pop() ?? ''
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '_').slice(0, 200)
  return clean === '' || clean === '.' || clean === '..' ? 'data' : clean
}

/**
 * Calls `fn` for every string in `value` that is a FileId of run `runId`
 * (in arrays, plain objects, Maps and Sets, as the log's codec keeps them).
 */
export function eachFileId(value: unknown, runId: string, fn: (ref: FileRef, id: FileId) => void): void {
  if (typeof value === 'string') {
    if (!value.startsWith(PREFIX)) return
    const ref = parseFileId(value)
    if (ref !== undefined && ref.runId === runId) fn(ref, value)
    return
  }
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return
  if (Array.isArray(value) || value instanceof Set) {
    for (const item of value) eachFileId(item, runId, fn)
    return
  }
  if (value instanceof Map) {
    for (const [key, item] of value) {
      eachFileId(key, runId, fn)
      eachFileId(item, runId, fn)
    }
    return
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return
  for (const item of Object.values(value)) eachFileId(item, runId, fn)
}
