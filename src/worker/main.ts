import { Attempt } from './attempt.ts'
import { chainedAttempt } from './chain.ts'
import { exceptionReason } from './failure.ts'
import type { AttemptResult, IssuedJob, LeaderMessage, RunMessage, WorkerMessage } from './protocol.ts'
import { killRunningCommand } from './runCommand.ts'
import { RUN_TAG } from './processGroup.ts'
import { restoreUserUmask } from '../storeModes.ts'

// A warm worker process of the local batch system: it runs the attempts the
// leader queues here one at a time, in order, for as long as the leader
// lives, and never outlives it.

// Forked by a leader holding its store's umask: the jobs get the user's.
restoreUserUmask()

let current: Attempt | undefined
const queued: RunMessage[] = []
let running = false

function send(message: WorkerMessage, then?: () => void): void {
  process.send?.(message, undefined, {}, then)
}

function received(message: LeaderMessage): void {
  if (message.type === 'queue') {
    // A worker forked before its run was known (forkEarly) carries the run's tag from its first attempt on.
    for (const run of message.runs) process.env[RUN_TAG] ??= run.job.runId
    queued.push(...message.runs)
    void runQueued()
    return
  }
  const at = queued.findIndex((run) => run.job.jobId === message.jobId)
  if (at >= 0) queued.splice(at, 1)
  send({ type: 'revoked', jobId: message.jobId, ok: at >= 0 })
}

async function runQueued(): Promise<void> {
  if (running) return
  running = true
  try {
    for (let next = queued.shift(); next !== undefined; next = queued.shift()) await runChain(next)
  } finally {
    running = false
  }
}

/** Runs an attempt, then, while nothing else waits here, the lone successors it may chain. */
async function runChain(run: RunMessage): Promise<void> {
  for (let job: IssuedJob | undefined = run.job; job !== undefined; ) {
    const attempt: Attempt = new Attempt({ ...run, job })
    current = attempt
    const result: AttemptResult = await attempt.run((pgid) => send({ type: 'spawned', jobId: attempt.job.jobId, pgid }))
    if (current !== attempt) return
    current = undefined
    job = result.ok && queued.length === 0 ? chainedAttempt(attempt.job, attempt.successors) : undefined
    send(attempt.finish(result, false, job))
  }
}

/** An error no attempt caught: report it as the running attempt's failure, then exit, since this process's state is suspect. */
function fatal(err: unknown): void {
  killRunningCommand()
  const attempt = current
  current = undefined
  if (attempt === undefined) {
    // The leader died while this worker was starting: nothing to report, nobody to report to.
    if (!leaderGone(err)) console.error('jobtree worker: uncaught error between jobs:', err)
    process.exit(1)
  }
  send(attempt.finish({ ok: false, reason: exceptionReason(err) }, true), () => process.exit(1))
}

function leaderGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'EPIPE' || code === 'ERR_IPC_CHANNEL_CLOSED' || process.connected === false
}

if (process.send === undefined) {
  console.error('jobtree worker: start me through the local batch system (I need an IPC channel)')
  process.exit(2)
}
process.on('message', (message) => received(message as LeaderMessage))
// The leader is gone (even if it was SIGKILLed): take the running command down and go too.
process.on('disconnect', () => {
  killRunningCommand()
  process.exit(0)
})
// A target may end the process itself (process.exit): leave no temp dir behind.
process.on('exit', () => current?.discard())
process.on('uncaughtException', fatal)
process.on('unhandledRejection', fatal)
send({ type: 'ready', rss: process.memoryUsage.rss() })
