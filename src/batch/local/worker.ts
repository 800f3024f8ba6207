import type { ChildProcess } from 'node:child_process'
import type { RunMessage } from '../../worker/protocol.ts'
import type { LeaderChannel } from './workerProcess.ts'
import type { Resources } from '../../events/catalogue.ts'

// One local worker as the pool keeps it: its process, its channel, and what
// it runs and has queued.

/** The resources a worker holds while it has anything to run. */
export type Slot = Pick<Resources, 'cores' | 'memory' | 'disk'>

export interface Assigned {
  jobId: number
  attempt: number
  /** Kept while it is queued, to be given back. */
  run: RunMessage | undefined
  /** Asked back; `kill`: not to be given back but dropped (or, if it started, killed). */
  revoked?: 'return' | 'kill'
}

export interface Worker {
  readonly child: ChildProcess
  readonly channel: LeaderChannel
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
  /** Killed for what it sent, which was not a message: its attempt died, and this says why. */
  broken: string | undefined
  /** Told to leave: it closes its end of the channel as it goes, and may still be writing a profile. */
  dismissed: boolean
  /** Resident memory as it last said, between attempts. */
  rss: number
}

/** Idle workers must not keep the leader's process alive. */
export function setKeepsAlive({ child, channel }: Worker, keep: boolean): void {
  if (keep) {
    child.ref()
    channel.socket.ref()
  } else {
    child.unref()
    channel.socket.unref()
  }
}
