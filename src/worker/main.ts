import { Socket } from 'node:net'
import { fstatSync } from 'node:fs'
import { Attempt } from './attempt.ts'
import { Channel, CHANNEL_FD } from './channel.ts'
import { chainedAttempt } from './chain.ts'
import { exceptionReason } from './failure.ts'
import { queuedRuns, type AttemptResult, type IssuedJob, type LeaderMessage, type RunMessage, type WorkerMessage } from './protocol.ts'
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

if (!isSocket(CHANNEL_FD)) {
  console.error(`jobtree worker: start me through the local batch system (I need its channel on fd ${CHANNEL_FD})`)
  process.exit(2)
}
const channel = new Channel<LeaderMessage, WorkerMessage>(new Socket({ fd: CHANNEL_FD, readable: true, writable: true }))

function received(message: LeaderMessage): void {
  if (message.type === 'queue') {
    const runs = queuedRuns(message)
    // A worker forked before its run was known (forkEarly) carries the run's tag from its first attempt on.
    for (const run of runs) process.env[RUN_TAG] ??= run.job.runId
    queued.push(...runs)
    void runQueued()
    return
  }
  const at = queued.findIndex((run) => run.job.jobId === message.jobId)
  if (at >= 0) queued.splice(at, 1)
  channel.send({ type: 'revoked', jobId: message.jobId, ok: at >= 0 })
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
    const result: AttemptResult = await attempt.run((pgid) => channel.send({ type: 'spawned', jobId: attempt.job.jobId, pgid }))
    if (current !== attempt) return
    current = undefined
    job = result.ok && queued.length === 0 ? chainedAttempt(attempt.job, attempt.successors) : undefined
    channel.send(attempt.finish(result, false, job))
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
  channel.send(attempt.finish({ ok: false, reason: exceptionReason(err) }, true))
  channel.flush(() => process.exit(1))
}

function leaderGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'EPIPE' || code === 'ECONNRESET' || !channel.socket.writable
}

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket()
  } catch {
    return false
  }
}

channel.listen({
  message: received,
  // The leader is gone (even if it was SIGKILLed), or sent what is not a message: take the running command down and go too.
  ended: (why) => {
    killRunningCommand()
    if (why !== undefined) console.error(`jobtree worker: the leader sent ${why}`)
    process.exit(why === undefined ? 0 : 1)
  },
})
// A target may end the process itself (process.exit): leave no temp dir behind.
process.on('exit', () => current?.discard())
process.on('uncaughtException', fatal)
process.on('unhandledRejection', fatal)
channel.send({ type: 'ready', rss: process.memoryUsage.rss() })
