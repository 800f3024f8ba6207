import { readdirSync, readFileSync } from 'node:fs'
import { killProcessGroup, WORKER_TAG, workerTag } from '../worker/processGroup.ts'

// Processes a local worker's commands left behind when the worker was killed
// or died: found by the tag in their environment (Linux /proc), so that a
// command started an instant before its worker was SIGKILLed, or one that
// moved to a session of its own, does not outlive its job.

/** SIGKILLs the process groups of every process started by commands of worker `workerPid`. */
export function killStrays(workerPid: number): void {
  const needle = Buffer.from(`${WORKER_TAG}=${workerTag(process.pid, workerPid)}\0`)
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return
  }
  const own = groupOf('self')
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    let environ: Buffer
    try {
      environ = readFileSync(`/proc/${name}/environ`)
    } catch {
      continue
    }
    if (environ.indexOf(needle) === -1) continue
    const group = groupOf(name)
    if (group !== undefined && group !== own) killProcessGroup(group)
  }
}

function groupOf(proc: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${proc}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
  } catch {
    return undefined
  }
}
