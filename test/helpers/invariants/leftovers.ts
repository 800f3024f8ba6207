// No process of a run is left alive: after a worker is killed, nothing it
// started (a command's process group, a session of its own) outlives it for
// long, and after the run nothing of it lives at all, nor any attempt's temp dir. Processes are found by
// an environment tag they inherit, so a checker is only as good as the tag is
// seen: that too is checked. The probes are passed in, so that a self-test
// can hand a checker a process that never dies.
import { readdirSync, readFileSync } from 'node:fs'
import { eventually, isDead } from '../processes.ts'

/** `pid`'s command line, cut to `max` characters, or 'gone'. */
export function cmdlineOf(pid: number, max = 80): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, max)
  } catch {
    return 'gone'
  }
}

/** A worker the test SIGKILLed, whose processes are still to be seen gone. */
export interface Lingering {
  pid: number
  /** The worker's own tag, inherited by all it started. */
  tag: string
  /** The leader that saw it die (or should have). */
  leader: number
  at: number
}

export interface Watch {
  now: number
  /** The leader running now. */
  leader: number
  /** When the running leader's first job began: a later leader reconciles before it issues. */
  issuedAt: number | undefined
  graceMs: number
}

/**
 * What a killed worker started is ended within the grace while the leader
 * that saw it die lives, or within the grace after a later leader has started
 * jobs. Returns the problems of those late, and the workers still to watch.
 */
export function killedWorkersLeaveNothing(
  lingering: readonly Lingering[],
  w: Watch,
  alive: (tag: string) => number[],
): { pending: Lingering[]; problems: string[] } {
  const problems: string[] = []
  const pending = lingering.filter((l) => {
    const left = alive(l.tag)
    if (left.length === 0) return false
    const late = l.leader === w.leader ? w.now - l.at > w.graceMs : w.issuedAt !== undefined && w.now - w.issuedAt > w.graceMs
    if (!late) return true
    problems.push(
      `worker ${l.pid} was SIGKILLed ${w.now - l.at} ms ago and its processes still live: ${left.map((pid) => `${pid} (${cmdlineOf(pid)})`).join(', ')}`,
    )
    return false
  })
  return { pending, problems }
}

/** Every worker killed carried its tag (else what it left could not be looked for). */
export function killedWorkersTagged(untagged: readonly number[], tagName: string): string[] {
  return untagged.map((pid) => `worker ${pid} had no ${tagName}: what it left could not be looked for`)
}

/** The run's tag was seen on a live worker: the search for leftovers can see them. */
export function runTagSeen(seen: boolean, tagName: string): string[] {
  return seen ? [] : [`${tagName} was never seen in a worker's environment: the search for leftovers would see nothing`]
}

/** Within `timeoutMs` of the run's end, no process of the run (as `find` finds them) is alive. */
export async function noProcessLeft(find: () => number[], timeoutMs: number): Promise<string[]> {
  try {
    await eventually('no process of the run is left', () => find().length === 0, timeoutMs)
    return []
  } catch {
    return [
      `processes of the run are still alive after the final run:\n  ${find()
        .map((pid) => `${pid}: ${cmdlineOf(pid, 120)}`)
        .join('\n  ')}`,
    ]
  }
}

/** No pid seen during the run (workers, commands, what they left) is alive and of the run. */
export function seenPidsGone(seen: Iterable<number>, ofTheRun: (pid: number) => boolean): string[] {
  const alive = [...seen].filter((pid) => !isDead(pid) && ofTheRun(pid))
  return alive.length === 0 ? [] : [`pids seen during the run still alive: ${alive.join(', ')}`]
}

/** After the run, no attempt temp dir (`jobtree-…`) is left in `tmp`, the TMPDIR its leaders and workers had. */
export function noTempDirLeft(tmp: string): string[] {
  const left = readdirSync(tmp).filter((name) => name.startsWith('jobtree-'))
  return left.length === 0
    ? []
    : [`attempt temp dirs are left after the final run: ${left.slice(0, 5).join(' ')}${left.length > 5 ? ` (${left.length} in all)` : ''}`]
}
