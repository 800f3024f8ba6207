import { constants, copyFileSync, existsSync, linkSync, renameSync, rmSync, unlinkSync, chmodSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import type { AttemptFiles, WrittenFile } from '../events/catalogue.ts'
import { fileName, formatFileId, mustParseFileId, type FileId, type FileRef } from '../events/fileId.ts'
import { JobtreeError, oneLine } from '../errors.ts'
import { makeStoreDir } from '../storeModes.ts'
import { syncDir } from '../syncDir.ts'
import { attemptDir, type FileSource, readVerified, storeFilePath, verifyStoreFile, storeBytes } from './storeFile.ts'

// The file store as one attempt of a job sees it (ctx.files). What it writes
// goes to a directory of its own; it is reported with the attempt's result
// and becomes visible to other jobs only when the leader records that the
// attempt succeeded. Its deletes and exports are reported the same way; an
// attempt that fails leaves nothing behind (its directory is removed here,
// or by the leader when the worker died).

export interface ReadOptions {
  /** The copy at the destination may be changed: it is a copy, never the store's own bytes (default false). */
  mutable?: boolean
}

export interface ExportOptions {
  /** Replace a file already at the destination (default false: refuse). */
  force?: boolean
}

/** The store's files, as a running job uses them. */
export interface FileStore {
  /** Copies a local file (by path), bytes or a stream into the store; its id, to return or hand to other jobs. */
  write(source: FileSource, options?: { name?: string }): Promise<FileId>
  /**
   * Checks the file (size and SHA-256) and returns a path to read it at:
   * the store's own read-only file, or, given `dest`, a link to it there
   * (a copy where a link cannot be made, or when `mutable`).
   */
  read(id: FileId, dest?: string, options?: ReadOptions): Promise<string>
  /** The file's bytes as a stream, which fails at its end if they are not the ones written. */
  readStream(id: FileId): Readable
  /** Deletes a file: it is gone for every job once this attempt succeeds. */
  delete(id: FileId): Promise<void>
  /** Copies a file out of the store to `dest` now; once this attempt succeeds, the file is also kept in the store. */
  export(id: FileId, dest: string, options?: ExportOptions): Promise<void>
}

export class AttemptFileStore implements FileStore {
  private readonly written: WrittenFile[] = []
  private readonly deleted: string[] = []
  private readonly exported: Array<{ file: string; path: string }> = []
  private made = false
  /** The next file's place: never reused, not even after the attempt deleted one of its own. */
  private next = 0

  constructor(
    private readonly filesDir: string,
    private readonly runId: string,
    private readonly jobId: number,
    private readonly attempt: number,
  ) {}

  private get dir(): string {
    return attemptDir(this.filesDir, this.jobId, this.attempt)
  }

  async write(source: FileSource, options: { name?: string } = {}): Promise<FileId> {
    if (!this.made) {
      makeStoreDir(this.dir)
      this.made = true
    }
    const n = this.next++
    const name = fileName(options.name ?? (typeof source === 'string' ? source : 'data'))
    const { size, sha256 } = await storeBytes(this.dir, n, source)
    this.written.push({ n, size, sha256, name })
    return formatFileId({ runId: this.runId, jobId: this.jobId, attempt: this.attempt, n, size, sha256, name })
  }

  async read(id: FileId, dest?: string, options: ReadOptions = {}): Promise<string> {
    const { ref, path } = this.locate(id)
    await verifyStoreFile(path, ref, id)
    if (dest === undefined) return path
    const target = resolve(dest)
    rmSync(target, { force: true })
    if (options.mutable === true) {
      copyFileSync(path, target, constants.COPYFILE_FICLONE)
      chmodSync(target, 0o644)
      return target
    }
    try {
      linkSync(path, target)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      // Another file system, or one without hard links: a copy (a reflink where it can).
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw err
      copyFileSync(path, target, constants.COPYFILE_FICLONE)
    }
    return target
  }

  readStream(id: FileId): Readable {
    const { ref, path } = this.locate(id)
    return Readable.from(readVerified(path, ref, id), { objectMode: false })
  }

  async delete(id: FileId): Promise<void> {
    const { ref, path } = this.locate(id)
    if (!existsSync(path)) await verifyStoreFile(path, ref, id)
    if (this.isOwn(ref)) {
      // Never seen by anyone else: it simply is not reported.
      unlinkSync(path)
      const at = this.written.findIndex((f) => f.n === ref.n)
      if (at !== -1) this.written.splice(at, 1)
      return
    }
    if (!this.deleted.includes(id)) this.deleted.push(id)
  }

  async export(id: FileId, dest: string, options: ExportOptions = {}): Promise<void> {
    const { ref, path } = this.locate(id)
    const target = await exportStoreFile(path, ref, id, dest, options)
    this.exported.push({ file: id, path: target })
  }

  /** Makes the attempt's files durable and says what it did, or undefined for nothing (most jobs). */
  seal(): AttemptFiles | undefined {
    if (this.written.length > 0) {
      syncDir(this.dir)
      syncDir(this.filesDir)
    }
    if (this.written.length + this.deleted.length + this.exported.length === 0) return undefined
    return { written: this.written, deleted: this.deleted, exported: this.exported }
  }

  /** The attempt failed: what it wrote is removed. */
  discard(): void {
    if (this.made) rmSync(this.dir, { recursive: true, force: true })
  }

  private isOwn(ref: FileRef): boolean {
    return ref.jobId === this.jobId && ref.attempt === this.attempt
  }

  private locate(id: FileId): { ref: FileRef; path: string } {
    const ref = mustParseFileId(id, this.runId)
    if (this.isOwn(ref) && !this.written.some((f) => f.n === ref.n)) {
      throw new JobtreeError('FILE_MISSING', `file ${ref.name} (${id}) was deleted by this attempt`)
    }
    return { ref, path: storeFilePath(this.filesDir, ref) }
  }
}

/**
 * Copies a store file to `dest`, checked, under a temporary name renamed
 * into place: a crash never leaves a partial file at the destination.
 * Refuses to replace a file unless `force`. Returns the absolute destination.
 */
export async function exportStoreFile(path: string, ref: FileRef, id: string, dest: string, options: ExportOptions): Promise<string> {
  const target = resolve(dest)
  if (existsSync(target) && options.force !== true) {
    throw new JobtreeError('FILE_EXISTS', `cannot export file ${ref.name} to ${target}: a file is there already (replace it with force)`, { path: target })
  }
  await verifyStoreFile(path, ref, id)
  const partial = join(dirname(target), `.${ref.name}.jobtree-${process.pid}.partial`)
  try {
    copyFileSync(path, partial, constants.COPYFILE_FICLONE)
    // The store's copy is read-only; the exported one is the user's, with the usual mode.
    chmodSync(partial, 0o666 & ~process.umask())
    renameSync(partial, target)
  } catch (err) {
    rmSync(partial, { force: true })
    throw new JobtreeError('BAD_INPUT', `cannot export file ${ref.name} to ${target}: ${oneLine(err)}`, { path: target })
  }
  return target
}
