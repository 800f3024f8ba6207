import { readFileSync } from 'node:fs'
import { killProcessGroup, WORKER_TAG, workerTag } from '../worker/processGroup.ts'
import { processIds, statFields } from './procfs.ts'

// Processes a local worker's commands left behind when the worker was killed
// or died: found by the tag in their environment (Linux /proc), so that a
// command started an instant before its worker was SIGKILLed, or one that
// moved to a session of its own, does not outlive its job.

/** SIGKILLs the process groups of every process started by commands of worker `workerPid`. */
export function killStrays(workerPid: number): void {
  const needle = Buffer.from(`${WORKER_TAG}=${workerTag(process.pid, workerPid)}\0`)
  const own = groupOf('self')
  for (const proc of processIds()) {
    let environ: Buffer
    try {
      environ = readFileSync(`/proc/${proc}/environ`)
    } catch {
      continue
    }
    if (environ.indexOf(needle) === -1) continue
    const group = groupOf(proc)
    if (group !== undefined && group !== own) killProcessGroup(group)
  }
}

function groupOf(proc: string): number | undefined {
  const fields = statFields(proc)
  return fields === undefined ? undefined : Number(fields[2])
}
