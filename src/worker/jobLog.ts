import { closeSync, mkdirSync, openSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

// A job's log file during one attempt. Every write is synchronous, so that
// output reaches the file even when the target ends the process abruptly.

type WriteCallback = (err?: Error | null) => void

export class JobLog {
  readonly fd: number
  private undoCapture: (() => void) | undefined

  constructor(readonly file: string, header: string) {
    mkdirSync(dirname(file), { recursive: true })
    this.fd = openSync(file, 'a')
    writeSync(this.fd, `${header}\n`)
  }

  /** Sends what the process writes to stdout and stderr (console.log and friends) here, until uncapture() or close(). */
  capture(): void {
    const undo = [process.stdout, process.stderr].map((stream) => redirect(stream, this.fd))
    this.undoCapture = () => undo.forEach((restore) => restore())
  }

  uncapture(): void {
    this.undoCapture?.()
    this.undoCapture = undefined
  }

  /** Closes the file and, when it has grown past `maxBytes`, keeps only its newest lines. */
  close(maxBytes: number): void {
    this.uncapture()
    closeSync(this.fd)
    keepTail(this.file, maxBytes)
  }
}

function redirect(stream: NodeJS.WriteStream, fd: number): () => void {
  const original = stream.write
  const write = (chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk
    writeSync(fd, bytes)
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
