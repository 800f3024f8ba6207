import type { RunConfig } from '../events/catalogue.ts'
import { JobtreeError, oneLine } from '../errors.ts'
import type { BatchContext, BatchSystem } from './batchSystem.ts'
import { LocalBatchSystem } from './local/localBatch.ts'
import { forkEarly } from './local/workerProcess.ts'
import { BATCH_SYSTEMS, type BatchSystemName } from './names.ts'

// The one place that knows the batch systems by name. The engine imports
// only this file; a cluster batch system's code is imported when a run asks
// for it, so that a machine without Slurm never loads it. Another one (Grid
// Engine, LSF, PBS, HTCondor) is a folder beside slurm/, a name in
// BATCH_SYSTEMS (names.ts) and a case in each switch below.

/** The options of cluster batch systems, as given (to the CLI or run()). */
export interface BatchOptions {
  batchSystem?: string
  slurmArgs?: string[]
  slurmTmpAlways?: boolean
  jobTime?: number
  pollInterval?: number
}

const CLUSTER_ONLY = ['slurmArgs', 'slurmTmpAlways', 'jobTime', 'pollInterval'] as const
const FLAG: Record<(typeof CLUSTER_ONLY)[number], string> = {
  slurmArgs: '--slurm-args',
  slurmTmpAlways: '--slurm-tmp-always',
  jobTime: '--job-time',
  pollInterval: '--poll-interval',
}

export function batchSystemName(config: BatchOptions): BatchSystemName {
  const name = config.batchSystem ?? 'local'
  const known: readonly string[] = BATCH_SYSTEMS
  if (!known.includes(name)) {
    throw new JobtreeError('BAD_OPTION', `unknown batch system ${JSON.stringify(name)} (known: ${BATCH_SYSTEMS.join(', ')})`, { batchSystem: name })
  }
  return name as BatchSystemName
}

/** The batch options given (not undefined) among `options`. */
export function pickBatchConfig(options: BatchOptions): Partial<RunConfig> {
  const config: Partial<RunConfig> = {}
  if (options.batchSystem !== undefined) config.batchSystem = batchSystemName(options)
  if (options.slurmArgs !== undefined) config.slurmArgs = options.slurmArgs
  if (options.slurmTmpAlways !== undefined) config.slurmTmpAlways = options.slurmTmpAlways
  if (options.jobTime !== undefined) config.jobTime = options.jobTime
  if (options.pollInterval !== undefined) config.pollInterval = options.pollInterval
  return config
}

/**
 * For a new run, before anything is created: the options fit the batch
 * system, and it can be reached from here (for Slurm: its commands answer).
 */
export async function checkBatchSystem(config: BatchOptions): Promise<void> {
  const name = batchSystemName(config)
  if (name === 'local') {
    const misplaced = CLUSTER_ONLY.find((key) => config[key] !== undefined)
    if (misplaced !== undefined) throw new JobtreeError('BAD_OPTION', `${FLAG[misplaced]} applies to a cluster batch system: add --batch-system slurm`)
    return
  }
  const { checkSlurm } = await import('./slurm/open.ts')
  await checkSlurm(config)
}

/** A new run's leader, starting up: a local batch system's first worker starts booting now, while the leader does. */
export function startEarly(config: BatchOptions): void {
  if (batchSystemName(config) === 'local') forkEarly()
}

export async function openBatchSystem(config: RunConfig, ctx: BatchContext): Promise<BatchSystem> {
  const previous = ctx.previous
  if (previous != null && batchSystemName(previous) !== batchSystemName(config)) await leaveEarlier(previous, ctx)
  return open(config, ctx)
}

/**
 * A run restarted on another batch system: what the earlier one still runs
 * for it is stopped first, so that nothing runs twice at once. When the
 * earlier one cannot be reached (which may be why the run moved), say so.
 */
async function leaveEarlier(previous: RunConfig, ctx: BatchContext): Promise<void> {
  try {
    const earlier = await open(previous, ctx)
    try {
      await earlier.reconcile?.()
    } finally {
      await earlier.shutdown()
    }
  } catch (err) {
    ctx.logger.warn(`the run's jobs on ${batchSystemName(previous)} could not be stopped (${oneLine(err)}): stop them there by hand`)
  }
}

async function open(config: RunConfig, ctx: BatchContext): Promise<BatchSystem> {
  switch (batchSystemName(config)) {
    case 'local':
      return new LocalBatchSystem({ ...config, runId: ctx.runId })
    case 'slurm': {
      const { openSlurm } = await import('./slurm/open.ts')
      return openSlurm(config, ctx)
    }
  }
}
