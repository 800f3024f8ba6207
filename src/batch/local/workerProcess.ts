import { fork, type ChildProcess } from 'node:child_process'
import { closeSync } from 'node:fs'
import { RUN_TAG, WORKER_TAG, workerTag } from '../../worker/processGroup.ts'
import type { WorkerMessage } from '../../worker/protocol.ts'
import { rawOutputFile } from '../../worker/rawOutput.ts'
import { WORKFLOW_LOADERS } from '../../loader/loaders.ts'
import { ownFile } from '../../ownFile.ts'

// How a local worker process is started (workerPool.ts keeps them), and the
// one a leader may start before it has a pool.

const WORKER_MAIN = ownFile('../../worker/main.ts', import.meta.url)
// Extra options for the workers' node, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'
// to profile them (node refuses --cpu-prof in NODE_OPTIONS).
const WORKER_NODE_ARGS = (process.env.JOBTREE_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')

export function forkWorker(tag: string, runId: string | undefined): ChildProcess {
  const raw = rawOutputFile()
  const child = fork(WORKER_MAIN, [], {
    execArgv: [...WORKFLOW_LOADERS, ...WORKER_NODE_ARGS],
    env: { ...process.env, ...raw.env, [WORKER_TAG]: tag, ...(runId === undefined ? {} : { [RUN_TAG]: runId }) },
    serialization: 'advanced',
    stdio: ['ignore', raw.fd, raw.fd, 'ipc'],
  })
  closeSync(raw.fd)
  return child
}

/** A worker forked before any pool, and what it said while it waited to be taken. */
interface EarlyWorker {
  child: ChildProcess
  tag: string
  messages: WorkerMessage[]
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
  const child = forkWorker(tag, undefined)
  const messages: WorkerMessage[] = []
  child.on('message', (message) => messages.push(message as WorkerMessage))
  child.on('error', () => {})
  child.unref()
  child.channel?.unref()
  early = { child, tag, messages }
}

/** The worker forked early, if one waits (and did not die waiting): the caller's from now on. */
export function takeEarly(): EarlyWorker | undefined {
  const taken = early !== undefined && early.child.exitCode === null && early.child.signalCode === null ? early : undefined
  early = undefined
  return taken
}
