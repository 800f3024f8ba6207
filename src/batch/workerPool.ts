import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { killProcessGroup } from '../worker/processGroup.ts'
import type { ResultMessage, RunMessage, WorkerMessage } from '../worker/protocol.ts'
import { removeTempDirs } from '../worker/tempDir.ts'

// Warm worker processes for the local batch system. Starting Node with tsx
// takes 100-200 ms, so a worker runs attempt after attempt, one at a time,
// and a trivial job costs an IPC round trip. A worker is forked only when
// none is idle, so there are never more than the most attempts that ever ran
// at once; a worker that dies is simply not reused.

const WORKER_MAIN = fileURLToPath(new URL('../worker/main.ts', import.meta.url))
// Absolute, so that workers start whatever the user's cwd is.
const TSX_LOADER = import.meta.resolve('tsx')
// Extra options for the workers' node, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
// to profile them (node refuses --cpu-prof in NODE_OPTIONS).
const WORKER_NODE_ARGS = (process.env.JOBTREE_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')

/** How long an idle worker has to leave once told to, before it is killed. */
const IDLE_EXIT_MS = 2000

export interface PoolListener {
  result(message: ResultMessage): void
  /** The worker running the attempt died before it reported. */
  died(job: RunMessage['job'], code: number | null, signal: NodeJS.Signals | null): void
  /** The attempt was handed to a worker (now it runs) whose resident memory, idle, was `rss`. */
  dispatched(jobId: number, rss: number): void
}

interface Worker {
  readonly child: ChildProcess
  readonly closed: Promise<void>
  /** It listens: messages sent earlier could be lost while tsx loads it. */
  ready: boolean
  /** The attempt it runs; undefined when idle. */
  running: RunMessage | undefined
  /** The process group of the command the attempt runs. */
  group: number | undefined
  /** Killed, or exiting on its own: it gets no more attempts. */
  retired: boolean
  /** Killed by us: its attempt gets no outcome. */
  killed: boolean
  /** Resident memory as it last said, between attempts. */
  rss: number
}

export class WorkerPool {
  private readonly workers = new Set<Worker>()

  constructor(private readonly listener: PoolListener) {}

  run(message: RunMessage): void {
    const worker = [...this.workers].find((w) => w.running === undefined && !w.retired) ?? this.fork()
    worker.running = message
    setKeepsAlive(worker.child, true)
    if (worker.ready) this.dispatch(worker, message)
  }

  /** The processes of the attempt's job: its worker, and the process group of its command if it runs one. */
  processes(jobId: number): { pid: number | undefined; group: number | undefined } | undefined {
    for (const worker of this.workers) {
      if (worker.running?.job.jobId === jobId && !worker.killed) return { pid: worker.child.pid, group: worker.group }
    }
    return undefined
  }

  private dispatch(worker: Worker, message: RunMessage): void {
    worker.child.send(message)
    this.listener.dispatched(message.job.jobId, worker.rss)
  }

  /** Kills the attempt's worker and command, reporting nothing for it. */
  kill(jobId: number): void {
    for (const worker of this.workers) if (worker.running?.job.jobId === jobId && !worker.killed) this.destroy(worker)
  }

  async shutdown(): Promise<void> {
    const gone = [...this.workers].map((worker) => {
      if (worker.running !== undefined || !worker.ready || !worker.child.connected) {
        this.destroy(worker)
        return worker.closed
      }
      // An idle worker leaves on its own when its channel closes (and can
      // write a profile on the way out). Node emits no 'close' for a child
      // whose channel was closed from this side: wait for 'exit'.
      worker.retired = true
      this.workers.delete(worker)
      worker.child.ref()
      const exited = new Promise<void>((resolve) => worker.child.once('exit', () => resolve()))
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), IDLE_EXIT_MS)
      worker.child.disconnect()
      return exited.then(() => clearTimeout(timer))
    })
    await Promise.all(gone)
  }

  private fork(): Worker {
    const child = fork(WORKER_MAIN, [], {
      execArgv: ['--import', TSX_LOADER, ...WORKER_NODE_ARGS],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const worker: Worker = {
      child,
      // 'close' rather than 'exit': it comes after the last message the worker sent.
      closed: new Promise((resolve) => child.once('close', (code, signal) => resolve(this.gone(worker, code, signal)))),
      ready: false,
      running: undefined,
      group: undefined,
      retired: false,
      killed: false,
      rss: 0,
    }
    child.on('message', (message) => this.received(worker, message as WorkerMessage))
    // A failed fork, send or kill is followed by 'close', which reports what matters.
    child.on('error', () => {})
    this.workers.add(worker)
    return worker
  }

  private received(worker: Worker, message: WorkerMessage): void {
    const running = worker.killed ? undefined : worker.running?.job
    switch (message.type) {
      case 'ready':
        worker.ready = true
        worker.rss = message.rss
        if (worker.running !== undefined && !worker.killed) this.dispatch(worker, worker.running)
        return
      case 'spawned':
        // A command that started after its attempt was killed must not survive it.
        if (running?.jobId === message.jobId) worker.group = message.pgid
        else killProcessGroup(message.pgid)
        return
      case 'result':
        if (running?.jobId !== message.jobId || running.attempt !== message.attempt) return
        worker.running = undefined
        worker.group = undefined
        worker.retired ||= message.exiting
        worker.rss = message.rss
        setKeepsAlive(worker.child, false)
        this.listener.result(message)
        return
    }
  }

  private destroy(worker: Worker): void {
    worker.retired = true
    worker.killed = true
    if (worker.group !== undefined) killProcessGroup(worker.group)
    worker.group = undefined
    // Held until it is gone, so that shutdown() can wait for 'close'.
    setKeepsAlive(worker.child, true)
    worker.child.kill('SIGKILL')
  }

  private async gone(worker: Worker, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.workers.delete(worker)
    const { running, child } = worker
    if (running === undefined) return
    // Killed from outside, the worker could not take its command and temp dir down with it.
    if (worker.group !== undefined) killProcessGroup(worker.group)
    if (child.pid !== undefined) await removeTempDirs(child.pid, running.job.jobId, running.job.attempt)
    if (!worker.killed) this.listener.died(running.job, code, signal)
  }
}

/** Idle workers must not keep the leader's process alive. */
function setKeepsAlive(child: ChildProcess, keep: boolean): void {
  if (keep) {
    child.ref()
    child.channel?.ref()
  } else {
    child.unref()
    child.channel?.unref()
  }
}
