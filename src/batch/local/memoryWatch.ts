import { readFileSync } from 'node:fs'
import { processIds, statFields } from '../../procfs.ts'

// Resident memory of the local batch system's jobs, read from /proc (Linux).
// A target's usage is its worker's growth since the attempt was handed to it
// (a warm worker already holds Node and the workflow module); a command's is
// the sum over its process group, so a pipeline's children count too.

/** Resident set of one process in bytes, or 0 when it is gone or unreadable. */
export function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1]) * 1024
  } catch {
    return 0
  }
}

/** Resident sets of every process in each of `groups`, summed per group, from one pass over /proc. */
export function groupsRss(groups: ReadonlySet<number>): Map<number, number> {
  const sums = new Map<number, number>()
  if (groups.size === 0) return sums
  for (const proc of processIds()) {
    const fields = statFields(proc)
    if (fields === undefined) continue
    const pgrp = Number(fields[2])
    if (!groups.has(pgrp)) continue
    const rssPages = Number(fields[21])
    sums.set(pgrp, (sums.get(pgrp) ?? 0) + rssPages * PAGE)
  }
  return sums
}

const PAGE = 4096

/**
 * How far past its request a job may go before it is killed: a fifth more,
 * and never less than 64 MiB more, since a runtime's own footprint moves.
 */
export function memoryCeiling(askedBytes: number): number {
  return askedBytes + Math.max(askedBytes * 0.2, 64 * 2 ** 20)
}
