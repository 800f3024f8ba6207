import { closeSync, fstatSync, readSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { isNoSpace } from '../diskFull.ts'
import { makeStoreDir, openStoreFile, writeStoreFile } from '../storeModes.ts'

// A job's log file during one attempt. The file is opened (and its header
// written) only when the job writes something: most jobs print nothing, and
// a no-op job should cost no file operations. Every write is synchronous, so
// that output reaches the file even when the target ends the process
// abruptly. The file stays bounded while the job runs: once it holds twice
// the bound, it is cut to its newest `maxBytes`, so a job printing 200 MB
// never has more than 2 × maxBytes on disk; when the attempt ends, it is cut
// to `maxBytes`. A cut replaces the file whole (write, then rename), so a
// crash during one leaves the old log or the new one.

type WriteCallback = (err?: Error | null) => void

export class JobLog {
  private opened: number | undefined
  private undoCapture: (() => void) | undefined
  /** Bytes in the file now. */
  private size = 0
  /** Bytes of the truncation note at the head of the file (0 while uncut). */
  private noteBytes = 0
  /** Bytes written to the log in all, the header and the parts cut away included. */
  private written = 0
  /** Set once a write found the disk full: what the attempt failed of. Later output is dropped. */
  noSpace: string | undefined

  constructor(
    readonly file: string,
    private readonly header: string,
    private readonly maxBytes: number,
  ) {}

  /** Appends the job's output, cutting the file to its tail when it has grown to twice the bound. */
  write(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.noSpace !== undefined) return
    try {
      writeSync(this.fd(), bytes)
    } catch (err) {
      if (!isNoSpace(err)) throw err
      this.noSpace = `no space left on device writing ${this.file}`
      return
    }
    this.size += bytes.length
    this.written += bytes.length
    if (this.size > 2 * this.maxBytes) this.cut(true)
  }

  /** Sends what the process writes to stdout and stderr (console.log and friends) here, until uncapture() or close(). */
  capture(): void {
    const undo = [process.stdout, process.stderr].map((stream) => redirect(stream, (bytes) => this.write(bytes)))
    this.undoCapture = () => {
      for (const restore of undo) restore()
    }
  }

  uncapture(): void {
    this.undoCapture?.()
    this.undoCapture = undefined
  }

  /** Closes the file, if it was opened, cut to its newest `maxBytes` when it has grown past them. */
  close(): void {
    this.uncapture()
    if (this.opened === undefined) return
    if (this.size > this.maxBytes) this.cut(false)
    if (this.opened !== undefined) closeSync(this.opened)
    this.opened = undefined
  }

  /** The file, open for appending and reading its tail (opened now, with its header, if it was not). */
  private fd(): number {
    if (this.opened === undefined) {
      makeStoreDir(dirname(this.file))
      this.opened = openStoreFile(this.file, 'a+')
      writeSync(this.opened, `${this.header}\n`)
      // Earlier attempts' output stays in the file, before this one's.
      this.size = this.written = fstatSync(this.opened).size
    }
    return this.opened
  }

  /** Replaces the file by a note and its newest bytes; `reopen` to go on writing to the new file. */
  private cut(reopen: boolean): void {
    const fd = this.opened as number
    const tail = Buffer.alloc(Math.min(this.maxBytes, this.size - this.noteBytes))
    readSync(fd, tail, 0, tail.length, this.size - tail.length)
    const kept = fromLineStart(tail)
    const note = Buffer.from(`[jobtree: log truncated: kept its last ${kept.length} of ${this.written} bytes]\n`)
    const temp = `${this.file}.truncating`
    try {
      writeStoreFile(temp, Buffer.concat([note, kept]))
      renameSync(temp, this.file)
    } catch (err) {
      // The log stays whole rather than half cut; the attempt says why.
      rmSync(temp, { force: true })
      if (!isNoSpace(err)) throw err
      this.noSpace = `no space left on device writing ${this.file}`
      return
    }
    closeSync(fd)
    this.opened = reopen ? openStoreFile(this.file, 'a+') : undefined
    this.noteBytes = note.length
    this.size = note.length + kept.length
  }
}

/**
 * The tail from its first line start, when that keeps most of it; otherwise
 * (a tail of a few long lines) the tail as it is, cut mid-line: the newest
 * bytes are what a failed job's log is read for.
 */
function fromLineStart(tail: Buffer): Buffer {
  const newline = tail.indexOf(10)
  return newline !== -1 && newline < tail.length / 2 ? tail.subarray(newline + 1) : tail
}

function redirect(stream: NodeJS.WriteStream, write: (bytes: Uint8Array) => void): () => void {
  const original = stream.write
  const replacement = (chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean => {
    write(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk)
    const done = typeof encoding === 'function' ? encoding : callback
    if (done !== undefined) process.nextTick(done)
    return true
  }
  stream.write = replacement as typeof stream.write
  return () => {
    stream.write = original
  }
}
