import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync } from 'node:fs'
import type { Socket } from 'node:net'
import { Channel, CHANNEL_FD } from '../../worker/channel.ts'
import { RUN_TAG, WORKER_TAG, workerTag } from '../../worker/processGroup.ts'
import type { LeaderMessage, WorkerMessage } from '../../worker/protocol.ts'
import { rawOutputFile } from '../../worker/rawOutput.ts'
import { WORKFLOW_LOADERS } from '../../loader/loaders.ts'
import { ownFile } from '../../ownFile.ts'

// How a local worker process is started (workerPool.ts keeps them), and the
// one a leader may start before it has a pool.

const WORKER_MAIN = ownFile('../../worker/main.ts', import.meta.url)
// Extra options for the workers' node, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
// to profile them (node refuses --cpu-prof in NODE_OPTIONS).
const WORKER_NODE_ARGS = (process.env.JOBTREE_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')

export type LeaderChannel = Channel<WorkerMessage, LeaderMessage>

export interface WorkerProcess {
  child: ChildProcess
  /** On the worker's CHANNEL_FD. */
  channel: LeaderChannel
}

export function forkWorker(tag: string, runId: string | undefined): WorkerProcess {
  const raw = rawOutputFile()
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', raw.fd, raw.fd]
  stdio[CHANNEL_FD] = 'pipe'
  const child = spawn(process.execPath, [...WORKFLOW_LOADERS, ...WORKER_NODE_ARGS, WORKER_MAIN], {
    env: { ...process.env, ...raw.env, [WORKER_TAG]: tag, ...(runId === undefined ? {} : { [RUN_TAG]: runId }) },
    stdio,
  })
  closeSync(raw.fd)
  return { child, channel: new Channel(child.stdio[CHANNEL_FD] as Socket) }
}

/** A worker forked before any pool: what it says waits in its channel until the pool listens. */
interface EarlyWorker extends WorkerProcess {
  tag: string
}

let early: EarlyWorker | undefined

/**
 * Forks a worker now, for the first pool this process makes to take: it
 * boots (Node, tsx, the worker's modules: most of a small run's time) while
 * the leader opens its store and imports the workflow, instead of after.
 * It learns its run from its first attempt. Until taken it keeps nothing
 * alive: a leader that fails before it makes a pool exits, and so does the
 * worker, when its channel closes.
 */
export function forkEarly(): void {
  if (early !== undefined) return
  const tag = workerTag(process.pid, 0)
  const worker = forkWorker(tag, undefined)
  worker.child.on('error', () => {})
  worker.child.unref()
  worker.channel.socket.unref()
  early = { ...worker, tag }
}

/** The worker forked early, if one waits (and did not die waiting): the caller's from now on. */
export function takeEarly(): EarlyWorker | undefined {
  const taken = early !== undefined && early.child.exitCode === null && early.child.signalCode === null ? early : undefined
  early = undefined
  return taken
}
