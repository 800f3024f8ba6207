import { readdirSync, symlinkSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Readable } from 'node:stream'
import type { FileId } from '../events/fileId.ts'
import type { AttemptFiles } from '../events/catalogue.ts'
import { makeStoreDir } from '../storeModes.ts'
import { AttemptFileStore, type ExportOptions, type FileStore, type ReadOptions } from './attemptFiles.ts'
import type { FileSource } from './storeFile.ts'

// The file store as a job run again outside its run sees it (`debug-job`):
// it reads the store's files, checked as ever, but what it writes and exports
// lands in a scratch directory, so that the store is never changed.

export class ScratchFileStore implements FileStore {
  private readonly files: AttemptFileStore
  /** Exports made, each to where the job asked and where it went instead. */
  readonly exports: Array<{ asked: string; path: string }> = []

  /**
   * `scratch/files` mirrors the store's attempt directories by symbolic
   * links (read-only, as the store's files are), beside a directory of the
   * debug attempt's own.
   */
  constructor(
    storeFiles: string,
    private readonly scratch: string,
    runId: string,
    jobId: number,
    attempt: number,
  ) {
    const mirror = join(scratch, 'files')
    makeStoreDir(mirror)
    let dirs: string[] = []
    try {
      dirs = readdirSync(storeFiles)
    } catch {
      // A store that never held a file.
    }
    for (const dir of dirs) symlinkSync(join(storeFiles, dir), join(mirror, dir))
    this.files = new AttemptFileStore(mirror, runId, jobId, attempt)
  }

  write(source: FileSource, options?: { name?: string }): Promise<FileId> {
    return this.files.write(source, options)
  }

  read(id: FileId, dest?: string, options?: ReadOptions): Promise<string> {
    return this.files.read(id, dest, options)
  }

  readStream(id: FileId): Readable {
    return this.files.readStream(id)
  }

  delete(id: FileId): Promise<void> {
    return this.files.delete(id)
  }

  async export(id: FileId, dest: string, _options?: ExportOptions): Promise<void> {
    const path = join(this.scratch, 'exports', `${this.exports.length}-${basename(dest)}`)
    makeStoreDir(join(this.scratch, 'exports'))
    await this.files.read(id, path, { mutable: true })
    this.exports.push({ asked: dest, path })
  }

  /** What the job wrote and deleted, as its success would record it. */
  sealed(): AttemptFiles | undefined {
    return this.files.seal()
  }
}
