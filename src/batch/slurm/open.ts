import type { RunConfig } from '../../events/catalogue.ts'
import { JobtreeError } from '../../errors.ts'
import type { BatchContext } from '../batchSystem.ts'
import { resultGraceMs } from './files.ts'
import { largestNode } from './queue.ts'
import { checkSiteArgs } from './siteArgs.ts'
import { SlurmBatchSystem } from './slurmBatch.ts'

// The Slurm batch system's entry point, imported by choose.ts only when a run
// asks for Slurm.

const DEFAULT_JOB_TIME = 30
const DEFAULT_POLL_SECONDS = 2

/** Throws BAD_OPTION for site options jobtree cannot let through, BATCH_SYSTEM unless Slurm's commands are here and its controller answers. */
export async function checkSlurm(config: Pick<RunConfig, 'slurmArgs' | 'slurmTmpAlways'>): Promise<void> {
  checkSiteArgs(config.slurmArgs ?? [])
  const always: unknown = config.slurmTmpAlways
  if (always !== undefined && typeof always !== 'boolean') {
    throw new JobtreeError('BAD_OPTION', `--slurm-tmp-always (slurmTmpAlways) must be true or false, got ${JSON.stringify(always)}`)
  }
  await largestNode()
}

export async function openSlurm(config: RunConfig, ctx: BatchContext): Promise<SlurmBatchSystem> {
  checkSiteArgs(config.slurmArgs ?? [])
  const largest = await largestNode()
  return new SlurmBatchSystem({
    runId: ctx.runId,
    storeRoot: ctx.storeRoot,
    logger: ctx.logger,
    limits: { ...largest, time: 0 },
    siteArgs: config.slurmArgs ?? [],
    tmpAlways: config.slurmTmpAlways === true,
    jobTime: config.jobTime ?? DEFAULT_JOB_TIME,
    pollMs: 1000 * (config.pollInterval ?? DEFAULT_POLL_SECONDS),
    resultGraceMs: resultGraceMs(ctx.storeRoot),
  })
}
