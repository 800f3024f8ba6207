import { appendFileSync, closeSync, existsSync, readFileSync, renameSync } from 'node:fs'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeValue, encodeValue } from '../../events/codec.ts'
import { Attempt } from '../../worker/attempt.ts'
import { exceptionReason } from '../../worker/failure.ts'
import type { AttemptResult, RunMessage } from '../../worker/protocol.ts'
import { killRunningCommand } from '../../worker/runCommand.ts'
import { openStoreFile, restoreUserUmask } from '../../storeModes.ts'
import { claimFile, resultFile, slurmDirs, ticketFile, ticketName, writeDurably, type SlurmDirs } from './files.ts'

// The worker of one Slurm job, on the node:
//   node --import tsx nodeMain.ts <store> <ticket>...
// It runs the attempts its tickets name, one after the other (more than one
// when short jobs were packed), and writes each one's result into the store
// for the leader to ingest. An attempt it cannot claim was withdrawn, or is
// run by another allocation: it is skipped. On SIGTERM (Slurm's time limit,
// or scancel) it stops the running command and leaves, writing nothing for
// that attempt: the leader reads why from Slurm.

/** How long a command's SIGTERM waits to be seen as the whole job's. */
const SIGTERM_GRACE_MS = 2000

// Slurm starts a job with the umask of the sbatch that submitted it, the store's: the jobs get the user's.
restoreUserUmask()

let current: Attempt | undefined
let failed = 0
let lastExitCode = 0

function report(dirs: SlurmDirs, ticket: string, attempt: Attempt, result: AttemptResult): void {
  const message = attempt.finish(result, false)
  if (!result.ok) {
    failed += 1
    lastExitCode = result.reason.kind === 'exit' ? result.reason.code : 1
  }
  // A claim deleted meanwhile means the leader no longer wants this result.
  if (existsSync(claimFile(dirs, ticket))) writeDurably(resultFile(dirs, ticket), encodeValue(message))
}

async function runOne(dirs: SlurmDirs, ticket: string, position: string): Promise<void> {
  if (existsSync(resultFile(dirs, ticket))) return
  const claimed = claimFile(dirs, ticket)
  try {
    renameSync(ticketFile(dirs, ticket), claimed)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  const message = decodeValue(readFileSync(claimed)) as RunMessage
  const log = openStoreFile(message.job.logFile, 'a')
  try {
    appendFileSync(log, `=== Slurm job ${process.env.SLURM_JOB_ID ?? '?'} on ${hostname()}${position} ===\n`)
  } finally {
    closeSync(log)
  }
  const attempt = new Attempt(message)
  current = attempt
  const result = await attempt.run(() => {})
  // Slurm ends a job (its time limit, scancel) by signalling every process
  // in it at once: a command killed by SIGTERM may be that, and the worker's
  // own SIGTERM (which leaves without a result, so that the leader reads
  // why from Slurm) can come a moment after the command's end.
  if (!result.ok && result.reason.kind === 'signal' && result.reason.signal === 'SIGTERM') await sleep(SIGTERM_GRACE_MS)
  if (current !== attempt) return
  current = undefined
  report(dirs, ticket, attempt, result)
}

async function main(): Promise<void> {
  const [store, ...tickets] = process.argv.slice(2)
  if (store === undefined || tickets.length === 0) {
    console.error('jobtree slurm worker: usage: nodeMain.ts <store> <ticket>... (sbatch starts me)')
    process.exit(2)
  }
  const dirs = slurmDirs(store)
  const fatal = (err: unknown) => {
    killRunningCommand()
    const attempt = current
    current = undefined
    console.error('jobtree slurm worker: uncaught error:', err)
    // The attempt it hit fails; the ones after it were never claimed, and the leader submits them again.
    if (attempt !== undefined) report(dirs, ticketName(attempt.job.jobId, attempt.job.attempt), attempt, { ok: false, reason: exceptionReason(err) })
    process.exit(1)
  }
  process.on('uncaughtException', fatal)
  process.on('unhandledRejection', fatal)
  process.on('SIGTERM', () => {
    killRunningCommand()
    process.exit(143)
  })
  // A target may end the process itself (process.exit): leave no temp dir behind.
  process.on('exit', () => current?.discard())
  for (const [i, ticket] of tickets.entries()) {
    await runOne(dirs, ticket, tickets.length > 1 ? `, packed: ${i + 1} of ${tickets.length}` : '')
  }
  // What sacct and squeue show: a lone command's own exit code, or 1 when some attempt failed.
  process.exit(failed === 0 ? 0 : tickets.length === 1 ? lastExitCode : 1)
}

await main()
