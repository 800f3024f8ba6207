import { randomUUID } from 'node:crypto'
import { availableParallelism, totalmem } from 'node:os'
import { statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkBatchSystem, openBatchSystem, pickBatchConfig, type BatchOptions } from '../batch/choose.ts'
import type { JobEvent, RunConfig } from '../events/catalogue.ts'
import { encodeForLog } from '../events/codec.ts'
import { resolveTokens } from '../events/promise.ts'
import { JobtreeError } from '../errors.ts'
import { lookupTarget, targetNames } from '../workflow/target.ts'
import { toSpec } from '../workflow/options.ts'
import { valueOf } from '../decider/jobTree.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'
import type { ResumeInput, StartInput } from '../decider/inputs.ts'
import { clock, recordClock } from '../clock.ts'
import { leaderAnswers } from '../socket/ask.ts'
import { closeEndpoint, serveLeader } from '../socket/server.ts'
import { EventStreams } from '../socket/streamEvents.ts'
import { Leader } from './leader.ts'
import { statusReport } from '../audit/statusReport.ts'
import { resumeSummary } from '../audit/describe.ts'
import type { Logger } from '../logger.ts'
import { replay } from '../store/replay.ts'
import { SNAPSHOT_EVERY, Snapshotter } from '../store/snapshots.ts'
import { createStore, openStore, storePaths, type OpenStore } from '../store/store.ts'
import { checkImports, importFiles } from '../files/imports.ts'
import { sweepFiles } from '../files/removal.ts'

// One run of a leader on a store, start or restart: the glue between the
// store, the replayed state, the batch system and the leader loop. The
// workflow module must already be imported (its targets registered).

export interface RunRequest {
  /** Absolute path of the workflow module. */
  module: string
  target: string
  input: unknown
  store: string
  restart: boolean
  /** For a new store: the gid of the group that may read it (none: its owner's alone). */
  sharedGroup?: number
  /** Options given for this leader; on a restart, the ones not given keep their earlier values. */
  config: Partial<RunConfig>
  logger: Logger
  tickMs?: number
  onStart?: (leader: Leader) => void
  onCommit?: (state: JobTreeState, events: readonly JobEvent[], seq: number) => void
  /** Events between snapshots of the state (default SNAPSHOT_EVERY; 0: none). */
  snapshotEvery?: number
}

export interface RunOutcome {
  state: JobTreeState
  /** True when every job succeeded. */
  ok: boolean
  /** False when the leader was stopped before the workflow finished. */
  finished: boolean
  /** The root job's return value (when ok). */
  value: unknown
  store: string
}

const CONFIG_KEYS = [
  'retryCount',
  'maxJobs',
  'maxCores',
  'maxMemory',
  'maxDisk',
  'retryBackoff',
  'maxJobDuration',
  'timeLimitFactor',
  'rescueFrequency',
] as const satisfies ReadonlyArray<keyof RunConfig>

/** The run options given (those not undefined) among `options`. */
export function pickConfig(
  options: Partial<Record<(typeof CONFIG_KEYS)[number], number>> & BatchOptions & { chaining?: boolean; keepFiles?: boolean },
): Partial<RunConfig> {
  const config: Partial<RunConfig> = pickBatchConfig(options)
  for (const key of CONFIG_KEYS) {
    const value = options[key]
    if (value !== undefined) config[key] = value
  }
  // Only a refusal is kept: chaining is on wherever the batch system can chain.
  if (options.chaining === false) config.chaining = false
  if (options.keepFiles === true) config.keepFiles = true
  return config
}

export function defaultConfig(store: string): RunConfig {
  return { retryCount: 1, maxJobs: 1000, maxCores: availableParallelism(), maxMemory: totalmem(), maxDisk: diskSize(store) }
}

function diskSize(path: string): number {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      const fs = statfsSync(dir)
      return fs.blocks * fs.bsize
    } catch {
      if (dirname(dir) === dir) return 2 ** 50
    }
  }
}

export async function runWorkflow(req: RunRequest): Promise<RunOutcome> {
  const root = storePaths(req.store).root
  const store = req.restart ? await resumeStore(root) : await newStore(req, root)
  try {
    const state = await replay(store.log)
    // A run that succeeded has nothing left to do; one that failed resumes
    // with its failed jobs given another chance.
    if (state.finished?.ok === true) return outcome(state, root)
    if (state.epoch === 0 && req.target === '') {
      throw new JobtreeError(
        'STORE_INVALID',
        `the run in ${root} never started (its leader stopped before recording anything): restart it with --target and --input`,
        { store: root },
      )
    }
    const config: RunConfig = { ...(state.config ?? defaultConfig(root)), ...req.config }
    const snapshots = new Snapshotter(store.log, req.snapshotEvery ?? SNAPSHOT_EVERY)
    const onCommit = (committed: JobTreeState, events: readonly JobEvent[], seq: number) => {
      snapshots.committed(committed, events, seq)
      req.onCommit?.(committed, events, seq)
    }
    const runId = state.epoch === 0 ? randomUUID() : state.runId
    const batch = await openBatchSystem(config, { runId, storeRoot: root, logger: req.logger, previous: state.config })
    config.chaining = req.config.chaining !== false && batch.chains
    try {
      await batch.reconcile?.()
    } catch (err) {
      await batch.shutdown()
      throw err
    }
    // Nothing of the run is out now: what files/ holds beyond what the log makes visible is left from a crash.
    sweepFiles(store.paths.files, state)
    let start: Pick<StartInput, 'root' | 'imports'> | undefined
    if (state.epoch === 0) {
      try {
        const { input, imports } = await importFiles(req.input, store.paths.files, runId)
        start = { root: rootSpec({ ...req, input }), imports }
      } catch (err) {
        await batch.shutdown()
        throw err
      }
    }
    const now = recordClock(clock, await store.log.lastAt())
    const leader = new Leader({ store, batch, logger: req.logger, now, tickMs: req.tickMs, onCommit }, state)
    req.onStart?.(leader)
    const streams = new EventStreams(store.log)
    const endpoint = await serveLeader(store.paths, {
      status: () => statusReport(store.paths, leader.current, leader.held()),
      kill: () => leader.stop('jobtree kill'),
      events: (socket, request) => streams.serve(socket, request),
    })
    const first: StartInput | ResumeInput =
      start !== undefined
        ? { type: 'Start', now: now(), runId, module: req.module, target: req.target, ...start, config }
        : { type: 'Resume', now: now(), config }
    if (state.epoch !== 0) {
      req.logger.info(`resuming run ${state.runId}: ${resumeSummary(state.counts)}`)
    }
    try {
      const final = await leader.run(first)
      // Every attempt has been stopped: what a killed or late one left goes.
      sweepFiles(store.paths.files, final)
      return outcome(final, root)
    } finally {
      // Followers get the last events and an end; then nothing reads the log.
      await streams.close()
      await closeEndpoint(endpoint, store.paths)
      await snapshots.finish()
    }
  } finally {
    await store.log.close()
  }
}

async function newStore(req: RunRequest, root: string): Promise<OpenStore> {
  // Everything that can be wrong with the request is checked before the
  // store exists, so a bad request leaves nothing behind.
  rootSpec(req)
  checkImports(req.input)
  await checkBatchSystem(req.config)
  return createStore(root, { sharedGroup: req.sharedGroup })
}

/**
 * How long a restarting leader waits for a reader (`status`, `events`,
 * `replay`, `stats`) to let go of the log: they hold its lock while they
 * read, usually for well under a second.
 */
const READER_WAIT_MS = 10_000

async function resumeStore(root: string): Promise<OpenStore> {
  const started = Date.now()
  for (;;) {
    try {
      return await openStore(root, true)
    } catch (err) {
      if (!(err instanceof JobtreeError) || err.code !== 'STORE_IN_USE' || Date.now() - started > READER_WAIT_MS) throw err
      // A leader answers on the store's socket: a second one is refused at once. A reader does not: it is waited for.
      if (await leaderAnswers(storePaths(root), 1000)) throw err
      await sleep(50)
    }
  }
}

function rootSpec(req: RunRequest) {
  const t = lookupTarget(req.target)
  if (t === undefined) {
    const known = targetNames()
    throw new JobtreeError(
      'UNKNOWN_TARGET',
      `unknown target ${JSON.stringify(req.target)} in ${req.module} (${known.length ? `known: ${known.join(', ')}` : 'it registers no targets'})`,
      { target: req.target },
    )
  }
  encodeForLog(req.input, 'the input')
  return toSpec({ kind: 'target', target: t.name, input: req.input }, t.options)
}

function outcome(state: JobTreeState, store: string): RunOutcome {
  const finished = state.finished !== null
  const ok = state.finished?.ok === true
  // The root may have returned a successor's promise: hand back its value.
  const value = ok ? resolveTokens(valueOf(state, 0)?.value, (id) => valueOf(state, id)) : undefined
  return { state, ok, finished, value, store }
}
