import { execFile } from 'node:child_process'
import { JobtreeError } from '../../errors.ts'

// The Slurm client commands jobtree uses (sbatch, squeue, scancel, sinfo),
// run with argv, never through a shell. Slurm's own client timeouts apply;
// ours only guards against a command that hangs outright.

export interface CommandResult {
  /** The exit code; -1 when the command was killed by our time limit. */
  code: number
  stdout: string
  stderr: string
}

const COMMAND_TIMEOUT_MS = 120_000

export function runSlurm(command: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err === null) return resolve({ code: 0, stdout, stderr })
      const { code, killed } = err as NodeJS.ErrnoException & { killed?: boolean }
      if (code === 'ENOENT') {
        return reject(
          new JobtreeError('BATCH_SYSTEM', `${command} is not on the PATH: run the leader on a Slurm submit host (or choose --batch-system local)`, {
            command,
          }),
        )
      }
      resolve({
        code: typeof code === 'number' ? code : -1,
        stdout,
        stderr: killed ? `${command} did not answer within ${COMMAND_TIMEOUT_MS / 1000} s` : stderr,
      })
    })
  })
}

/** Slurm's complaint on one line, without the "sbatch: error:" prefixes. */
export function complaint(result: CommandResult): string {
  const lines = result.stderr
    .split('\n')
    .map((line) => line.replace(/^\S+: error: /, '').trim())
    .filter((line) => line !== '')
  return lines.length > 0 ? lines.join('; ') : `exit code ${result.code}`
}

// Failures that say "not now" rather than "never": the controller is busy or
// unreachable, or a submit limit is reached until the run's own jobs end.
const TRANSIENT =
  /unable to contact slurm controller|socket timed out|temporarily unable|resource temporarily unavailable|connection refused|zero bytes were transmitted|backup controller|submit limit|MaxSubmitJob|did not answer within/i

export function isTransient(result: CommandResult): boolean {
  return result.code === -1 || TRANSIENT.test(result.stderr)
}

/** Cancels Slurm jobs by id; an id Slurm no longer knows is not an error. */
export async function scancel(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  const result = await runSlurm('scancel', ids)
  if (result.code !== 0 && !/invalid job id|already completing or completed/i.test(result.stderr)) {
    throw new JobtreeError('BATCH_SYSTEM', `scancel failed: ${complaint(result)}`, { ids })
  }
}
