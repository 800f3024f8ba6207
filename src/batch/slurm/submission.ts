import { fileURLToPath } from 'node:url'
import type { JobSpec } from '../../events/catalogue.ts'
import { WORKFLOW_LOADERS } from '../../loader/loaders.ts'
import { ownFile } from '../../ownFile.ts'
import type { IssuedJob } from '../../worker/protocol.ts'

// How one submission (a job, or a pack of short jobs) becomes sbatch's argv.
// Nothing here goes through a shell: the batch script only execs its
// arguments, and every value is one argv word.

const BATCH_SCRIPT = fileURLToPath(new URL('./onNode.sh', import.meta.url))
const NODE_MAIN = ownFile('./nodeMain.ts', import.meta.url)

const MiB = 2 ** 20
// Slurm counts the worker itself (Node, tsx, the workflow module: about 100
// MiB) against the job's --mem, where a job's declared memory is what its own
// work needs (as the local batch system counts it), so this is added.
export const WORKER_FOOTPRINT = 192 * MiB

export interface Submission {
  /** The arguments after `sbatch`. */
  args: string[]
  /** The Slurm time limit in seconds (0: none asked, the partition's default applies). */
  limitSeconds: number
  /** The memory asked of Slurm (--mem), in bytes. */
  memoryBytes: number
}

export interface SubmitContext {
  /** The job name every Slurm job of the run carries. */
  tag: string
  /** sbatch's --output pattern. */
  output: string
  /** The store's root (passed to the worker, which finds the tickets there). */
  storeRoot: string
  /** The site's options, after jobtree's so that they win. */
  siteArgs: readonly string[]
  /** --slurm-tmp-always: the default disk is asked with --tmp too. */
  tmpAlways: boolean
}

/**
 * Resources map to --cpus-per-task (whole cores), --mem (with the worker's
 * footprint), --tmp (MiB, rounded up) and --time (whole minutes, Slurm's
 * granularity, rounded up). A pack asks for its members' resources once and
 * for the sum of their times, plus a minute for starting the worker.
 */
export function submission(members: readonly IssuedJob[], tickets: readonly string[], ctx: SubmitContext): Submission {
  const { cores, memory, disk } = members[0].spec.resources
  const declared = members.reduce((sum, job) => sum + job.spec.resources.time, 0)
  const minutes = declared <= 0 ? 0 : Math.ceil(declared / 60) + (members.length > 1 ? 1 : 0)
  const memoryMiB = Math.ceil((memory + WORKER_FOOTPRINT) / MiB)
  const args = [
    '--parsable',
    `--job-name=${ctx.tag}`,
    `--output=${ctx.output}`,
    '--no-requeue',
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${Math.max(1, Math.ceil(cores))}`,
    `--mem=${memoryMiB}M`,
    ...(asksTmp(members[0].spec, ctx.tmpAlways) ? [`--tmp=${Math.ceil(disk / MiB)}M`] : []),
    ...(minutes > 0 ? [`--time=${minutes}`] : []),
    ...ctx.siteArgs,
    BATCH_SCRIPT,
    ...workerArgv(ctx.storeRoot, tickets),
  ]
  return { args, limitSeconds: minutes * 60, memoryBytes: memoryMiB * MiB }
}

/**
 * A job's disk is reserved on its node (--tmp) only when the job asked for
 * disk, or the run for all jobs: many sites declare no TmpDisk, and there
 * any --tmp is refused, so the default 2G (which the local batch system
 * still counts) is not sent.
 */
export function asksTmp(spec: JobSpec, tmpAlways: boolean): boolean {
  return tmpAlways || spec.diskAsked === true
}

/** The worker's command line on the node: the same Node and jobtree as the leader's, on the shared filesystem. */
function workerArgv(storeRoot: string, tickets: readonly string[]): string[] {
  return [process.execPath, ...WORKFLOW_LOADERS, NODE_MAIN, storeRoot, ...tickets]
}
