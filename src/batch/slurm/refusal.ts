import { formatSize } from '../../sizes.ts'
import type { JobSpec, Resources } from '../../events/catalogue.ts'
import { asksTmp, WORKER_FOOTPRINT, type Submission } from './submission.ts'

// What to tell the user when sbatch refuses a job for good: Slurm's words,
// then which of jobtree's options asked for what Slurm refused, and what the
// cluster has. Slurm's own message names its options (--tmp, --mem), which
// the user never wrote.

export interface RefusalContext {
  /** The largest node (from sinfo). */
  largest: Resources
  /** --slurm-tmp-always. */
  tmpAlways: boolean
  /** --slurm-args. */
  siteArgs: readonly string[]
}

// Slurm's complaints about a request's parts (22.05 to 24.x wordings).
const DISK = /temporary disk|tmp ?disk|--tmp/i
const MEMORY = /memory specification|mem(ory)? ?(per|limit)|--mem/i
const CORES = /more processors|cpu count|cpus? per task|--cpus/i
const TIME = /time limit/i
const SITE = /partition|account|qos|association|feature|constraint|gres|generic resource|reservation|licen[cs]e|cluster/i

export function refusal(complaint: string, spec: JobSpec, plan: Submission, ctx: RefusalContext): string {
  const { cores, memory, disk, time } = spec.resources
  const { largest } = ctx
  const hints: string[] = []
  if (asksTmp(spec, ctx.tmpAlways) && (DISK.test(complaint) || disk > largest.disk)) {
    const has = largest.disk === 0 ? 'the nodes declare no TmpDisk' : `the largest node has ${formatSize(largest.disk)} of TmpDisk`
    hints.push(
      spec.diskAsked === true
        ? `--tmp is the job's disk option (${formatSize(disk)}) and ${has}: ask for less disk, or leave disk unset to reserve none`
        : `--tmp is the default disk (${formatSize(disk)}), asked because of --slurm-tmp-always, and ${has}: run without --slurm-tmp-always`,
    )
  }
  if (MEMORY.test(complaint) || memory + WORKER_FOOTPRINT > largest.memory) {
    hints.push(
      `--mem is the job's memory option (${formatSize(memory)}) plus ${formatSize(WORKER_FOOTPRINT)} for jobtree's worker, and the largest node has ${formatSize(largest.memory)}: ask for less memory`,
    )
  }
  if (CORES.test(complaint) || cores > largest.cores) {
    hints.push(`--cpus-per-task is the job's cores option (${cores}) and the largest node has ${largest.cores} cores: ask for fewer cores`)
  }
  if (TIME.test(complaint) && plan.limitSeconds > 0) {
    hints.push(
      `--time=${plan.limitSeconds / 60} (minutes) is the job's time option (${time} s), over what the partition allows: declare less time, or choose another partition with --slurm-args`,
    )
  }
  if (SITE.test(complaint) || (hints.length === 0 && ctx.siteArgs.length > 0)) {
    hints.push(
      ctx.siteArgs.length > 0
        ? `check the site options, --slurm-args "${ctx.siteArgs.join(' ')}"`
        : 'this cluster wants a site option jobtree does not set: give it with --slurm-args, e.g. "--partition=short --account=lab"',
    )
  }
  return `Slurm refused it: ${complaint}${hints.length > 0 ? `: ${hints.join('; ')}` : ''}`
}
