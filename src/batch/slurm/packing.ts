import type { IssuedJob } from '../../worker/protocol.ts'

// Packing, jobTree's stacks: short jobs ride in one Slurm allocation, run one
// after the other by one worker, so that thousands of tiny jobs do not become
// thousands of Slurm jobs. A job is short when it declares a run time (its
// `time`) of at most `jobTime` seconds; a pack holds jobs asking for the same
// cores, memory and disk (asked for or not), up to `jobTime` seconds of
// declared time in all.
// Jobs that declare no time, or more, go alone.

/** Splits the jobs issued together into what is submitted together, keeping their order. */
export function packJobs<T extends { job: IssuedJob }>(items: readonly T[], jobTime: number): T[][] {
  const out: T[][] = []
  const open = new Map<string, { members: T[]; time: number }>()
  for (const item of items) {
    const {
      resources: { cores, memory, disk, time },
      diskAsked,
    } = item.job.spec
    if (jobTime <= 0 || time <= 0 || time > jobTime) {
      out.push([item])
      continue
    }
    const key = `${cores}|${memory}|${disk}|${diskAsked === true}`
    let pack = open.get(key)
    if (pack === undefined || pack.time + time > jobTime) {
      pack = { members: [], time: 0 }
      open.set(key, pack)
      out.push(pack.members)
    }
    pack.members.push(item)
    pack.time += time
  }
  return out
}
