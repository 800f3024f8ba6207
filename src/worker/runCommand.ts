import { spawn } from 'node:child_process'
import type { AttemptResult } from './protocol.ts'
import { encodeResult } from './protocol.ts'
import { ATTEMPT_TAG, killProcessGroup, killTagged } from './processGroup.ts'

// Runs a command job: a string through /bin/sh -c, an argv array directly
// (never joined into a shell line). The command gets its own process group
// so that it, and whatever it starts, can be killed as one; what it left
// running when it ends is killed then, with whatever left the group but
// carries the attempt's tag.

// The command running now, killed if the worker must go.
let running: { group: number; tag: string } | undefined

export interface CommandRun {
  command: string | string[]
  tempDir: string
  /** The job's log file, open for appending: the command's stdout and stderr. */
  logFd: number
  /** The attempt's tag (attemptTag()), set in the command's environment. */
  tag: string
  onSpawn(pgid: number): void
}

export function runCommand(run: CommandRun): Promise<AttemptResult> {
  const [file, ...args] = typeof run.command === 'string' ? ['/bin/sh', '-c', run.command] : run.command
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', run.logFd, run.logFd],
      // The user's cwd, as a shell would; scratch files go to the attempt's temp dir.
      env: { ...process.env, TMPDIR: run.tempDir, [ATTEMPT_TAG]: run.tag },
    })
    if (child.pid !== undefined) {
      running = { group: child.pid, tag: run.tag }
      run.onSpawn(child.pid)
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      running = undefined
      const message = err.code === 'ENOENT' ? `command not found: ${file}` : err.message
      resolve({ ok: false, reason: { kind: 'exception', message } })
    })
    child.once('exit', (code, signal) => {
      // Before the result goes out: a job that ended has nothing left running.
      if (child.pid !== undefined) end({ group: child.pid, tag: run.tag })
      if (signal !== null) resolve({ ok: false, reason: { kind: 'signal', signal } })
      else if (code === 0) resolve({ ok: true, payload: encodeResult({ value: 0, successors: [] }, 'an exit code') })
      else resolve({ ok: false, reason: { kind: 'exit', code: code ?? -1 } })
    })
  })
}

/** Kills the running command, all it started in its process group, and all that carries its tag. */
export function killRunningCommand(): void {
  if (running !== undefined) end(running)
}

function end(command: { group: number; tag: string }): void {
  killProcessGroup(command.group)
  killTagged(ATTEMPT_TAG, command.tag)
  if (running?.group === command.group) running = undefined
}
