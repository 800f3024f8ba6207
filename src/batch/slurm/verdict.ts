import { constants } from 'node:os'
import type { FailureReason } from '../../events/catalogue.ts'
import type { QueueEntry } from './queue.ts'

// Why an attempt failed when its Slurm job ended without the attempt's
// result: the job's final state, as Slurm tells it, in jobtree's words.

export interface EndedJob {
  slurmId: string
  /** What squeue said last; undefined when Slurm no longer knows the job. */
  entry: QueueEntry | undefined
  /** The time limit jobtree asked for, in seconds (0: none). */
  limitSeconds: number
  /** Memory the attempt asked for, in bytes. */
  askedBytes: number
  /** Memory its Slurm job asked for (the attempt's and the worker's), in bytes. */
  slurmMemoryBytes: number
  /** The last lines of the Slurm job's own output (its stdout and stderr). */
  output: string
  /** How many attempts the Slurm job ran (1 unless packed). */
  members: number
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]))

export function verdict(job: EndedJob): FailureReason {
  const { entry, slurmId } = job
  const which = job.members > 1 ? `its Slurm job ${slurmId} (a pack of ${job.members} jobs)` : `Slurm job ${slurmId}`
  if (entry === undefined) return { kind: 'lost', message: `Slurm no longer knows ${which} and it left no result` }
  const memory = overMemory(job)
  if (memory !== undefined) return memory
  switch (entry.state) {
    case 'TIMEOUT':
      return { kind: 'timeout', limitSeconds: job.limitSeconds, ranSeconds: entry.ranSeconds }
    case 'OUT_OF_MEMORY':
      return { kind: 'outOfMemory', usedBytes: 0, askedBytes: job.askedBytes }
    case 'CANCELLED':
    case 'PREEMPTED':
    case 'DEADLINE':
    case 'REVOKED':
      return { kind: 'cancelled', message: `${which} was ${entry.state === 'CANCELLED' ? 'cancelled outside jobtree' : `stopped by Slurm (${entry.state})`}` }
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
      return { kind: 'nodeFailure', message: `the node running ${which} failed (${entry.state})` }
    case 'FAILED': {
      // The worker itself failed (it reports a job's own failure in the result).
      const code = entry.waitStatus >> 8
      const signal = entry.waitStatus & 0x7f
      return { kind: 'workerDied', code: signal === 0 ? code : null, signal: signal === 0 ? null : (SIGNAL_NAMES.get(signal) ?? `signal ${signal}`) }
    }
    case 'COMPLETED':
      return { kind: 'lost', message: `${which} completed but its result never reached the store (is the store on a filesystem the nodes share?)` }
    default:
      return { kind: 'lost', message: `${which} ended ${entry.state} without a result` }
  }
}

/**
 * Without cgroups, Slurm's memory sampler kills a job over its --mem and the
 * job ends FAILED; its output then says "exceeded memory limit (used > limit)".
 * With cgroups the state is OUT_OF_MEMORY and the output names an oom_kill.
 */
function overMemory(job: EndedJob): FailureReason | undefined {
  const m = /exceeded memory limit \((\d+) > (\d+)\)/i.exec(job.output)
  if (m !== null) {
    const [used, limit] = [Number(m[1]), Number(m[2])]
    // Older Slurm releases print KiB, newer ones bytes: scale by what the limit must be.
    const scale = Math.abs(limit * 1024 - job.slurmMemoryBytes) < Math.abs(limit - job.slurmMemoryBytes) ? 1024 : 1
    return { kind: 'outOfMemory', usedBytes: used * scale, askedBytes: job.askedBytes }
  }
  if (/oom[-_ ]kill|exceeded job memory limit/i.test(job.output)) return { kind: 'outOfMemory', usedBytes: 0, askedBytes: job.askedBytes }
  return undefined
}

/**
 * Which unreported attempts of a Slurm job that ended failed: those its
 * worker claimed (it ran them). Those it never claimed go again, at no cost
 * to their retries. A job jobtree cancelled itself fails none; a worker that
 * claimed nothing at all (a broken node) still costs the first one a try, or
 * the same jobs would be submitted forever.
 */
export function blame<M>(open: readonly M[], claimed: (member: M) => boolean, cancelledByUs: boolean): { failed: M[]; again: M[] } {
  if (cancelledByUs) return { failed: [], again: [...open] }
  const ran = open.filter(claimed)
  const failed = ran.length > 0 ? ran : open.slice(0, 1)
  return { failed, again: open.filter((m) => !failed.includes(m)) }
}
