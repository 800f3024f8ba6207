import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { JobLog } from './jobLog.ts'
import type { AttemptResult } from './protocol.ts'
import { encodeResult } from './protocol.ts'
import { ATTEMPT_TAG, killProcessGroup, killTagged } from './processGroup.ts'

// Runs a command job: a string through /bin/sh -c, an argv array directly
// (never joined into a shell line). The command gets its own process group
// so that it, and whatever it starts, can be killed as one; what it left
// running when it ends is killed then, with whatever left the group but
// carries the attempt's tag.

/** How long a command's output may still arrive once it has exited. */
const OUTPUT_GRACE_MS = 200

// The command running now, killed if the worker must go.
let running: { group: number; tag: string } | undefined

export interface CommandRun {
  command: string | string[]
  tempDir: string
  /** The job's log: the command's stdout and stderr, relayed through this worker so that it stays bounded. */
  log: JobLog
  /** The attempt's tag (attemptTag()), set in the command's environment. */
  tag: string
  onSpawn(pgid: number): void
}

export function runCommand(run: CommandRun): Promise<AttemptResult> {
  const [file, ...args] = typeof run.command === 'string' ? ['/bin/sh', '-c', run.command] : run.command
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
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
    const drained = Promise.all([relay(child.stdout, run.log), relay(child.stderr, run.log)])
    child.once('exit', (code, signal) => {
      // Before the result goes out: a job that ended has nothing left running
      // (which also closes the pipes that what it left behind held open).
      if (child.pid !== undefined) end({ group: child.pid, tag: run.tag })
      const result: AttemptResult =
        signal !== null
          ? { ok: false, reason: { kind: 'signal', signal } }
          : code === 0
            ? { ok: true, payload: encodeResult({ value: 0, successors: [] }, 'an exit code') }
            : { ok: false, reason: { kind: 'exit', code: code ?? -1 } }
      // What the command wrote just before it exited may still be in the pipes.
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

/** Kills the running command, all it started in its process group, and all that carries its tag. */
export function killRunningCommand(): void {
  if (running !== undefined) end(running)
}

function end(command: { group: number; tag: string }): void {
  killProcessGroup(command.group)
  killTagged(ATTEMPT_TAG, command.tag)
  if (running?.group === command.group) running = undefined
}
