import { closeSync, mkdirSync, openSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

// A job's log file during one attempt. The file is opened (and its header
// written) only when the job writes something: most jobs print nothing, and
// a no-op job should cost no file operations. Every write is synchronous, so
// that output reaches the file even when the target ends the process abruptly.

type WriteCallback = (err?: Error | null) => void

export class JobLog {
  private opened: number | undefined
  private undoCapture: (() => void) | undefined

  constructor(
    readonly file: string,
    private readonly header: string,
  ) {}

  /** The file, open for appending (opened now if it was not). */
  get fd(): number {
    if (this.opened === undefined) {
      mkdirSync(dirname(this.file), { recursive: true })
      this.opened = openSync(this.file, 'a')
      writeSync(this.opened, `${this.header}\n`)
    }
    return this.opened
  }

  /** Sends what the process writes to stdout and stderr (console.log and friends) here, until uncapture() or close(). */
  capture(): void {
    const undo = [process.stdout, process.stderr].map((stream) => redirect(stream, () => this.fd))
    this.undoCapture = () => undo.forEach((restore) => restore())
  }

  uncapture(): void {
    this.undoCapture?.()
    this.undoCapture = undefined
  }

  /** Closes the file, if it was opened, and when it has grown past `maxBytes`, keeps only its newest lines. */
  close(maxBytes: number): void {
    this.uncapture()
    if (this.opened === undefined) return
    closeSync(this.opened)
    this.opened = undefined
    keepTail(this.file, maxBytes)
  }
}

function redirect(stream: NodeJS.WriteStream, fd: () => number): () => void {
  const original = stream.write
  const write = (chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk
    writeSync(fd(), bytes)
    const done = typeof encoding === 'function' ? encoding : callback
    if (done !== undefined) process.nextTick(done)
    return true
  }
  stream.write = write as typeof stream.write
  return () => {
    stream.write = original
  }
}

function keepTail(file: string, maxBytes: number): void {
  const size = statSync(file).size
  if (size <= maxBytes) return
  const tail = Buffer.alloc(maxBytes)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, tail, 0, maxBytes, size - maxBytes)
  } finally {
    closeSync(fd)
  }
  // Start at a line boundary, unless the tail is one long line.
  const kept = tail.subarray(tail.indexOf(10) + 1)
  const note = `[jobtree: log truncated: kept its last ${kept.length} of ${size} bytes]\n`
  // Replace the file whole, so that a crash here leaves the old log or the new one.
  const temp = `${file}.truncating`
  writeFileSync(temp, Buffer.concat([Buffer.from(note), kept]))
  renameSync(temp, file)
}
