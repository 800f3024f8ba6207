import { createHash } from 'node:crypto'
import { createReadStream, fstatSync, renameSync, rmSync, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { JobtreeError, oneLine } from '../errors.ts'
import type { FileRef } from '../events/fileId.ts'
import { readOnlyModeIn } from '../storeModes.ts'

// The bytes of one file in the store, and their checks. A file is written
// under a temporary name, synced, then renamed into place, so that the name
// only ever shows whole, durable bytes; the log names a file only after its
// worker said so, after the rename and a sync of the directory. Store files
// are read-only (0400, 0440 in a store shared with a group): jobs are handed them in place.

/** Bytes read at a time: large files move at disk speed, not at the cost of 64 KiB reads (bench scenario 8). */
const CHUNK = 2 ** 20

/** What a file may be written from: a local file's path, bytes, or a stream of bytes. */
export type FileSource = string | Uint8Array | Readable | AsyncIterable<Uint8Array>

/** The directory of the files attempt `attempt` of job `jobId` wrote. */
export function attemptDir(filesDir: string, jobId: number, attempt: number): string {
  return join(filesDir, `${jobId}-${attempt}`)
}

export function storeFilePath(filesDir: string, ref: Pick<FileRef, 'jobId' | 'attempt' | 'n'>): string {
  return join(attemptDir(filesDir, ref.jobId, ref.attempt), String(ref.n))
}

/** Writes `source` as file `n` of the attempt directory `dir` (which exists): its size and SHA-256. */
export async function storeBytes(dir: string, n: number, source: FileSource): Promise<{ size: number; sha256: string }> {
  const partial = join(dir, `${n}.partial`)
  const hash = createHash('sha256')
  let size = 0
  const out = await open(partial, 'w', 0o400)
  let whole = false
  try {
    await out.chmod(readOnlyModeIn(dir))
    for await (const chunk of chunks(source)) {
      hash.update(chunk)
      size += chunk.byteLength
      let done = 0
      while (done < chunk.byteLength) done += (await out.write(chunk, done, chunk.byteLength - done)).bytesWritten
    }
    // fdatasync: the data and the size, which is all a new file needs before its rename.
    await out.datasync()
    whole = true
  } finally {
    await out.close()
    // A source that failed half-way leaves nothing behind, even if the job goes on.
    if (!whole) rmSync(partial, { force: true })
  }
  renameSync(partial, join(dir, String(n)))
  return { size, sha256: hash.digest('hex') }
}

async function* chunks(source: FileSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source
    return
  }
  const stream = typeof source === 'string' ? openSource(source) : source
  for await (const chunk of stream) {
    if (typeof chunk === 'string') yield Buffer.from(chunk)
    else yield chunk as Uint8Array
  }
}

function openSource(path: string): Readable {
  let stats: ReturnType<typeof statSync>
  try {
    stats = statSync(path)
  } catch (err) {
    throw new JobtreeError('BAD_INPUT', `cannot write ${path} to the file store: ${oneLine(err)}`, { path })
  }
  if (!stats.isFile()) throw new JobtreeError('BAD_INPUT', `cannot write ${path} to the file store: it is not a file`, { path })
  return createReadStream(path, { highWaterMark: CHUNK })
}

/** Where the file `ref` names is and what it is: the identity of what was checked. */
interface Checked {
  dev: number
  ino: number
  size: number
  mtimeMs: number
  ctimeMs: number
}

/** Files this process has checked, by path: a file is hashed again only once it changed. */
const checked = new Map<string, Checked>()
/** A warm worker may read many files: past this many, the oldest checks are forgotten. */
const CHECKED_MAX = 10_000

/**
 * Checks that the store file at `path` holds the bytes `ref` names, or
 * throws a one-line error saying what is wrong with it (missing, short,
 * damaged). Hashes it unless this process checked it unchanged before.
 */
export async function verifyStoreFile(path: string, ref: FileRef, id: string): Promise<void> {
  const fd = await openStored(path, ref, id)
  try {
    const stats = fstatSync(fd.fd)
    const seen = checked.get(path)
    if (seen !== undefined && sameFile(seen, stats)) return
    if (stats.size !== ref.size) throw damaged(ref, id, path, `it holds ${stats.size} bytes, not ${ref.size}`)
    const hash = createHash('sha256')
    for await (const chunk of fd.createReadStream({ autoClose: false, highWaterMark: CHUNK })) hash.update(chunk as Uint8Array)
    if (hash.digest('hex') !== ref.sha256) throw damaged(ref, id, path, 'its SHA-256 is not the one it was written with')
    if (checked.size >= CHECKED_MAX) checked.delete(checked.keys().next().value as string)
    checked.set(path, { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs })
  } finally {
    await fd.close()
  }
}

function sameFile(a: Checked, b: Checked): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs
}

/** A stream of the file's bytes, which fails at its end if they are not the ones `ref` names. */
export async function* readVerified(path: string, ref: FileRef, id: string): AsyncGenerator<Uint8Array> {
  const fd = await openStored(path, ref, id)
  try {
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of fd.createReadStream({ autoClose: false, highWaterMark: CHUNK })) {
      const bytes = chunk as Uint8Array
      hash.update(bytes)
      size += bytes.byteLength
      if (size > ref.size) throw damaged(ref, id, path, `it holds more than ${ref.size} bytes`)
      yield bytes
    }
    if (size !== ref.size) throw damaged(ref, id, path, `it holds ${size} bytes, not ${ref.size}`)
    if (hash.digest('hex') !== ref.sha256) throw damaged(ref, id, path, 'its SHA-256 is not the one it was written with')
  } finally {
    await fd.close()
  }
}

async function openStored(path: string, ref: FileRef, id: string) {
  try {
    return await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new JobtreeError('FILE_MISSING', `file ${ref.name} (${id}) is not in the store: it was deleted, or released once nothing named it`, { path })
    }
    throw new JobtreeError('FILE_MISSING', `cannot read file ${ref.name} (${id}): ${oneLine(err)}`, { path })
  }
}

function damaged(ref: FileRef, id: string, path: string, why: string): JobtreeError {
  return new JobtreeError('FILE_DAMAGED', `file ${ref.name} in the store is damaged: ${why} (${path}, ${id})`, { path })
}
