import type { ChildProcess } from 'node:child_process'
import { clock } from '../../clock.ts'
import type { Resources } from '../../events/catalogue.ts'
import { killProcessGroup, killTagged, WORKER_TAG, workerTag } from '../../worker/processGroup.ts'
import type { ResultMessage, RunMessage, WorkerMessage } from '../../worker/protocol.ts'
import { ofWorker, removeTempDirs } from '../../worker/tempDir.ts'
import { forkWorker, takeEarly } from './workerProcess.ts'

// Warm worker processes for the local batch system. Starting Node with tsx
// costs far more than a trivial job, so a worker runs attempt after attempt,
// one at a time, and a trivial job costs an IPC round trip. A worker is forked only when
// none is idle, so there are never more than the most attempts that ever ran
// at once; a worker that dies is simply not reused.
//
// A busy worker may be handed the next attempts while it runs one (queued
// behind it, in the same slot of resources), so that it goes from one short
// job to the next without waiting for the leader; those not started yet can
// be asked back when another worker is free for them.
//
// A worker's states (`assigned` empty: idle; its head: the attempt it runs):
//
//   fork() for start() ──► starting: its runs wait in `unsent`
//     │ 'ready': they are sent
//     ▼
//   busy ──'result'──► busy: the next queued attempt, or the one it chained
//     │                (queueBehind() adds attempts; a revoke gives them back)
//     └──'result', nothing left──► idle ──start()──► busy
//
//   starting, busy ──kill(), shutdown()──► killed: SIGKILL, no outcome
//   idle ──shutdown()──► dismissed: its channel closed, it exits by itself
//   any ──'close'──► gone, never reused (busy and not killed: its attempt died)

/** How long an idle worker has to leave once told to, before it is killed. */
const IDLE_EXIT_MS = 2000
/** Attempts queued behind the one a worker runs. */
const QUEUE_DEPTH = 8
/** A worker's queue is topped up once it is down to this many, so that several attempts travel in one message. */
const REFILL_AT = 4
/** Only a worker whose attempt started this recently gets more queued: one running longer may run long. */
const QUEUE_WINDOW_MS = 20

export type Slot = Pick<Resources, 'cores' | 'memory' | 'disk'>

export interface PoolListener {
  /** An attempt began to run in its worker, whose resident memory, idle, was `rss`. */
  started(jobId: number, rss: number): void
  result(message: ResultMessage): void
  /** The worker running the attempt died before it reported. */
  died(jobId: number, attempt: number, code: number | null, signal: NodeJS.Signals | null): void
  /** An attempt queued on a worker is given back unstarted (asked back, or its worker is gone). */
  returned(run: RunMessage): void
  /** A worker has nothing left to run: the resources it held are free. */
  freed(slot: Slot): void
}

interface Assigned {
  jobId: number
  attempt: number
  /** Kept while it is queued, to be given back. */
  run: RunMessage | undefined
  /** Asked back; `kill`: not to be given back but dropped (or, if it started, killed). */
  revoked?: 'return' | 'kill'
}

interface Worker {
  readonly child: ChildProcess
  /** Its WORKER_TAG, in its environment and so in that of all it starts. */
  readonly tag: string
  readonly closed: Promise<void>
  /** It listens: messages sent earlier could be lost while tsx loads it. */
  ready: boolean
  /** What it runs (first) and what is queued behind it; empty when idle. */
  assigned: Assigned[]
  /** Runs given to it but not sent yet (sent together, once it is ready). */
  unsent: RunMessage[]
  /** The resources it holds while it has anything to run. */
  slot: Slot | undefined
  /** When its current attempt started, on the monotonic clock. */
  since: number
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
  private readonly unflushed = new Set<Worker>()
  private forked = 0

  /** `runId`, if given, is set in every worker's environment, as RUN_TAG. */
  constructor(
    private readonly listener: PoolListener,
    private readonly runId?: string,
  ) {}

  /** Runs the attempt in an idle worker (forked if none is), which holds `slot` until it has nothing left to run. */
  start(run: RunMessage, slot: Slot): void {
    const worker = [...this.workers].find((w) => w.assigned.length === 0 && !w.retired) ?? this.fork()
    worker.slot = slot
    worker.since = clock.mono()
    this.assign(worker, run)
    setKeepsAlive(worker.child, true)
  }

  /** Queues the attempt behind a busy worker's, if one fits it in its slot and runs short jobs; false if none does. */
  queueBehind(run: RunMessage, now: number): boolean {
    const asked = run.job.spec.resources
    for (const worker of this.workers) {
      const { slot } = worker
      if (worker.retired || slot === undefined || worker.assigned.length === 0 || worker.assigned.length > QUEUE_DEPTH) continue
      if (worker.unsent.length === 0 && worker.assigned.length > REFILL_AT) continue
      if (now - worker.since > QUEUE_WINDOW_MS || worker.assigned.some((a) => a.revoked !== undefined)) continue
      if (asked.cores > slot.cores || asked.memory > slot.memory || asked.disk > slot.disk) continue
      this.assign(worker, run)
      return true
    }
    return false
  }

  /**
   * Asks back the attempts queued behind others: those behind an attempt
   * running longer than the window (`all` false), or every one (a worker is
   * free for them).
   */
  revokeQueued(all: boolean, now: number): void {
    for (const worker of this.workers) {
      if (worker.killed || (!all && now - worker.since <= QUEUE_WINDOW_MS)) continue
      for (const queued of worker.assigned.slice(1)) this.revoke(worker, queued, 'return')
    }
  }

  /** Whether any attempt waits queued behind another. */
  get hasQueued(): boolean {
    for (const worker of this.workers) if (worker.assigned.length > 1) return true
    return false
  }

  /** The processes of the attempt's job while it runs: its worker, and the process group of its command if it runs one. */
  processes(jobId: number): { pid: number | undefined; group: number | undefined } | undefined {
    for (const worker of this.workers) {
      if (worker.assigned[0]?.jobId === jobId && !worker.killed) return { pid: worker.child.pid, group: worker.group }
    }
    return undefined
  }

  /** Stops the attempt (killing its worker and command if it runs), reporting nothing for it. */
  kill(jobId: number): void {
    for (const worker of this.workers) {
      if (worker.killed) continue
      const at = worker.assigned.findIndex((a) => a.jobId === jobId)
      if (at === 0) this.destroy(worker)
      else if (at > 0) this.revoke(worker, worker.assigned[at], 'kill')
    }
  }

  async shutdown(): Promise<void> {
    const gone = [...this.workers].map((worker) => {
      const busy = worker.assigned.length > 0
      // Nothing is given back or freed any more.
      worker.assigned = worker.assigned.slice(0, 1)
      worker.unsent = []
      worker.slot = undefined
      if (busy || !worker.ready || !worker.child.connected) {
        this.destroy(worker)
        return worker.closed
      }
      return this.dismiss(worker)
    })
    await Promise.all(gone)
  }

  private assign(worker: Worker, run: RunMessage): void {
    worker.assigned.push({ jobId: run.job.jobId, attempt: run.job.attempt, run })
    worker.unsent.push(run)
    if (!worker.ready) return
    // Runs assigned in one turn of the event loop travel in one message.
    if (this.unflushed.size === 0) queueMicrotask(() => this.flush())
    this.unflushed.add(worker)
  }

  private flush(): void {
    for (const worker of this.unflushed) this.send(worker)
    this.unflushed.clear()
  }

  private send(worker: Worker): void {
    if (worker.unsent.length === 0 || worker.killed) return
    const starts = worker.assigned[0]?.run === worker.unsent[0]
    worker.child.send({ type: 'queue', runs: worker.unsent })
    worker.unsent = []
    if (starts) this.started(worker)
  }

  /** The worker's first assigned attempt runs now. */
  private started(worker: Worker): void {
    const head = worker.assigned[0]
    if (head === undefined) return
    head.run = undefined
    worker.since = clock.mono()
    this.listener.started(head.jobId, worker.rss)
  }

  private revoke(worker: Worker, queued: Assigned, why: 'return' | 'kill'): void {
    // A started attempt (run cleared) is never among the unsent.
    const unsent = queued.run === undefined ? -1 : worker.unsent.indexOf(queued.run)
    if (unsent >= 0) {
      // Not sent yet: the worker never hears of it.
      worker.unsent.splice(unsent, 1)
      worker.assigned.splice(worker.assigned.indexOf(queued), 1)
      if (why === 'return' && queued.run !== undefined) this.listener.returned(queued.run)
      return
    }
    if (queued.revoked === undefined) worker.child.send({ type: 'revoke', jobId: queued.jobId })
    queued.revoked = why
  }

  /** An idle worker leaves on its own when its channel closes (and can write a profile on the way out). */
  private dismiss(worker: Worker): Promise<void> {
    worker.retired = true
    this.workers.delete(worker)
    worker.child.ref()
    // Node emits no 'close' for a child whose channel was closed from this side: wait for 'exit'.
    const exited = new Promise<void>((resolve) => worker.child.once('exit', () => resolve()))
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), IDLE_EXIT_MS)
    worker.child.disconnect()
    return exited.then(() => {
      clearTimeout(timer)
      // What its targets started and left running goes with it.
      killTagged(WORKER_TAG, worker.tag)
    })
  }

  private fork(): Worker {
    const taken = takeEarly()
    const tag = taken?.tag ?? workerTag(process.pid, ++this.forked)
    const child = taken?.child ?? forkWorker(tag, this.runId)
    const worker: Worker = {
      child,
      tag,
      // 'close' rather than 'exit': it comes after the last message the worker sent.
      closed: new Promise((resolve) => child.once('close', (code, signal) => resolve(this.gone(worker, code, signal)))),
      ready: false,
      assigned: [],
      unsent: [],
      slot: undefined,
      since: 0,
      group: undefined,
      retired: false,
      killed: false,
      rss: 0,
    }
    child.removeAllListeners('message')
    child.on('message', (message) => this.received(worker, message as WorkerMessage))
    // A failed fork, send or kill is followed by 'close', which reports what matters.
    child.on('error', () => {})
    this.workers.add(worker)
    if (taken !== undefined) {
      child.ref()
      child.channel?.ref()
      for (const message of taken.messages) this.received(worker, message)
    }
    return worker
  }

  private received(worker: Worker, message: WorkerMessage): void {
    if (worker.killed) {
      if (message.type === 'spawned') killProcessGroup(message.pgid)
      return
    }
    const head = worker.assigned[0]
    switch (message.type) {
      case 'ready':
        worker.ready = true
        worker.rss = message.rss
        this.send(worker)
        return
      case 'spawned':
        // A command that started after its attempt was killed must not survive it.
        if (head?.jobId === message.jobId) worker.group = message.pgid
        else killProcessGroup(message.pgid)
        return
      case 'revoked': {
        const at = worker.assigned.findIndex((a) => a.jobId === message.jobId)
        const queued = worker.assigned[at]
        if (queued === undefined) return
        if (message.ok) {
          worker.assigned.splice(at, 1)
          if (queued.revoked === 'return' && queued.run !== undefined) this.listener.returned(queued.run)
        } else if (queued.revoked === 'kill') {
          // Too late: it had started (or is about to). Stopping it is what was asked.
          this.destroy(worker)
        } else {
          queued.revoked = undefined
        }
        return
      }
      case 'result':
        if (head === undefined || head.jobId !== message.jobId || head.attempt !== message.attempt) return
        worker.assigned.shift()
        worker.group = undefined
        worker.retired ||= message.exiting
        worker.rss = message.rss
        if (message.chained !== undefined) worker.assigned.unshift({ jobId: message.chained.jobId, attempt: 1, run: undefined })
        this.listener.result(message)
        if (message.chained !== undefined) worker.since = clock.mono()
        else this.startNext(worker)
        return
    }
  }

  /** After an attempt's result: the worker goes on with what was queued behind it, or is free. */
  private startNext(worker: Worker): void {
    const next = worker.assigned[0]
    if (next !== undefined && next.revoked === 'kill') {
      // It starts in the worker before the revoke arrives there.
      this.destroy(worker)
      return
    }
    if (next !== undefined) {
      this.started(worker)
      return
    }
    const { slot } = worker
    worker.slot = undefined
    setKeepsAlive(worker.child, false)
    if (slot !== undefined) this.listener.freed(slot)
  }

  private destroy(worker: Worker): void {
    worker.retired = true
    worker.killed = true
    if (worker.group !== undefined) killProcessGroup(worker.group)
    worker.group = undefined
    // Held until it is gone, so that shutdown() can wait for 'close'.
    setKeepsAlive(worker.child, true)
    worker.child.kill('SIGKILL')
    this.release(worker)
  }

  /** A worker that will run nothing more: what was queued behind its attempt goes back, and its slot is free. */
  private release(worker: Worker): void {
    const [, ...queued] = worker.assigned
    worker.assigned = worker.assigned.slice(0, 1)
    worker.unsent = []
    for (const q of queued) if (q.revoked !== 'kill' && q.run !== undefined) this.listener.returned(q.run)
    const { slot } = worker
    worker.slot = undefined
    if (slot !== undefined) this.listener.freed(slot)
  }

  private async gone(worker: Worker, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.workers.delete(worker)
    this.unflushed.delete(worker)
    const head = worker.assigned[0]
    const killed = worker.killed
    if (!killed) this.release(worker)
    worker.assigned = []
    // Killed, the worker could not take its command and temp dir down with
    // it; it may not even have said which group its command was, or been
    // forked but not yet exec'd it: all it started carries its tag. So does
    // what a target started and left running, which must not outlive the
    // worker either, even one that died idle.
    if (worker.group !== undefined) killProcessGroup(worker.group)
    killTagged(WORKER_TAG, worker.tag)
    if (head === undefined) return
    if (worker.child.pid !== undefined) await removeTempDirs(ofWorker(worker.child.pid))
    if (!killed) this.listener.died(head.jobId, head.attempt, code, signal)
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
