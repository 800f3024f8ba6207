import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { JobLog } from './jobLog.ts'
import type { AttemptResult } from './protocol.ts'
import { encodeResult } from './protocol.ts'
import { killProcessGroup, WORKER_TAG, workerTag } from './processGroup.ts'

// Runs a command job: a string through /bin/sh -c, an argv array directly
// (never joined into a shell line). The command gets its own process group
// so that it, and whatever it starts, can be killed as one.

/** How long a command's output may still arrive once it has exited. */
const OUTPUT_GRACE_MS = 200

// The group of the command running now, killed if the worker must go.
let runningGroup: number | undefined

export interface CommandRun {
  command: string | string[]
  tempDir: string
  /** The job's log: the command's stdout and stderr, relayed through this worker so that it stays bounded. */
  log: JobLog
  onSpawn(pgid: number): void
}

export function runCommand(run: CommandRun): Promise<AttemptResult> {
  const [file, ...args] = typeof run.command === 'string' ? ['/bin/sh', '-c', run.command] : run.command
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // The user's cwd, as a shell would; scratch files go to the attempt's temp dir.
      env: { ...process.env, TMPDIR: run.tempDir, [WORKER_TAG]: workerTag(process.ppid, process.pid) },
    })
    if (child.pid !== undefined) {
      runningGroup = child.pid
      run.onSpawn(child.pid)
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      runningGroup = undefined
      const message = err.code === 'ENOENT' ? `command not found: ${file}` : err.message
      resolve({ ok: false, reason: { kind: 'exception', message } })
    })
    const drained = Promise.all([relay(child.stdout, run.log), relay(child.stderr, run.log)])
    child.once('exit', (code, signal) => {
      runningGroup = undefined
      const result: AttemptResult = signal !== null
        ? { ok: false, reason: { kind: 'signal', signal } }
        : code === 0
          ? { ok: true, payload: encodeResult({ value: 0, successors: [] }, 'an exit code') }
          : { ok: false, reason: { kind: 'exit', code: code ?? -1 } }
      // What the command wrote just before it exited may still be in the
      // pipes; a process it left behind may hold them open, so only a moment.
      void Promise.race([drained, sleep(OUTPUT_GRACE_MS)]).then(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
        resolve(result)
      })
    })
  })
}

/** Copies what a command writes on one of its pipes to the log; resolves when the pipe is closed. */
function relay(stream: Readable | null, log: JobLog): Promise<void> {
  if (stream === null) return Promise.resolve()
  stream.on('data', (chunk: Buffer) => log.write(chunk))
  return new Promise((done) => stream.once('close', () => done()))
}

export function killRunningCommand(): void {
  if (runningGroup !== undefined) killProcessGroup(runningGroup)
  runningGroup = undefined
}
