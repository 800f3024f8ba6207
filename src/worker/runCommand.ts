import { spawn } from 'node:child_process'
import type { AttemptResult } from './protocol.ts'
import { encodeResult } from './protocol.ts'
import { killProcessGroup, WORKER_TAG, workerTag } from './processGroup.ts'

// Runs a command job: a string through /bin/sh -c, an argv array directly
// (never joined into a shell line). The command gets its own process group
// so that it, and whatever it starts, can be killed as one.

// The group of the command running now, killed if the worker must go.
let runningGroup: number | undefined

export interface CommandRun {
  command: string | string[]
  tempDir: string
  /** The job's log file, open for appending: the command's stdout and stderr. */
  logFd: number
  onSpawn(pgid: number): void
}

export function runCommand(run: CommandRun): Promise<AttemptResult> {
  const [file, ...args] = typeof run.command === 'string' ? ['/bin/sh', '-c', run.command] : run.command
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', run.logFd, run.logFd],
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
    child.once('exit', (code, signal) => {
      runningGroup = undefined
      if (signal !== null) resolve({ ok: false, reason: { kind: 'signal', signal } })
      else if (code === 0) resolve({ ok: true, payload: encodeResult({ value: 0, successors: [] }, 'an exit code') })
      else resolve({ ok: false, reason: { kind: 'exit', code: code ?? -1 } })
    })
  })
}

export function killRunningCommand(): void {
  if (runningGroup !== undefined) killProcessGroup(runningGroup)
  runningGroup = undefined
}
