import { randomBytes } from 'node:crypto'
import { fstatSync, ftruncateSync, openSync, readSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JobLog } from './jobLog.ts'

// Output a job writes straight to descriptors 1 and 2 (writeSync(1, …), a
// native addon, a library with stdio of its own) bypasses the console that
// a job's log captures. So a local worker's descriptors 1 and 2 are a file
// of its own, unlinked at once (it goes when the worker does), and what it
// holds goes to the running attempt's log and is dropped from the file:
// once a second while the job runs and yields to the event loop, and when
// the attempt ends. It comes after the console output written at the same
// moments; a job that writes to the descriptor in a loop that never yields
// is cut to its log's bound only when it ends.

const RAW_OUTPUT = 'JOBTREE_RAW_OUTPUT'
const CHUNK = 2 ** 20
const COLLECT_EVERY_MS = 1000

/** For the leader: a fresh unlinked file to give a worker as its stdout and stderr (close it once the worker is forked). */
export function rawOutputFile(): { fd: number; env: Record<string, string> } {
  const path = join(tmpdir(), `jobtree-worker-${randomBytes(12).toString('hex')}.out`)
  const fd = openSync(path, 'ax+', 0o600)
  unlinkSync(path)
  return { fd, env: { [RAW_OUTPUT]: 'file' } }
}

/** True in a worker whose descriptors 1 and 2 are such a file. */
const captured = process.env[RAW_OUTPUT] === 'file'
let current: JobLog | undefined
/** Whether the timer that collects the current attempt's output runs (one for the worker's life). */
let collecting = false

/** The attempt logging to `log` starts: what was written between attempts is no attempt's, and is dropped. */
export function beginRawOutput(log: JobLog): void {
  if (!captured) return
  if (fstatSync(1).size > 0) ftruncateSync(1, 0)
  current = log
  if (collecting) return
  collecting = true
  setInterval(() => {
    if (current !== undefined) collect(current)
  }, COLLECT_EVERY_MS).unref()
}

/** The attempt ends: what it wrote to descriptors 1 and 2 goes to its log. */
export function endRawOutput(): void {
  if (current === undefined) return
  collect(current)
  current = undefined
}

function collect(log: JobLog): void {
  const size = fstatSync(1).size
  if (size === 0) return
  const buffer = Buffer.alloc(Math.min(CHUNK, size))
  for (let at = 0; at < size; ) {
    const n = readSync(1, buffer, 0, Math.min(buffer.length, size - at), at)
    if (n === 0) break
    log.write(buffer.subarray(0, n))
    at += n
  }
  ftruncateSync(1, 0)
}
