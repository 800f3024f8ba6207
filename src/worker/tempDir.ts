import { mkdtempSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Each attempt's private temp dir. Its name starts with the worker's pid, the
// job id and the attempt, so that the leader can remove the dir of an attempt
// whose worker it killed or lost.

function prefix(pid: number, jobId: number, attempt: number): string {
  return `jobtree-${pid}-${jobId}-${attempt}-`
}

export function makeTempDir(jobId: number, attempt: number): string {
  return mkdtempSync(join(tmpdir(), prefix(process.pid, jobId, attempt)))
}

/** Removes what the attempt's worker (process `pid`) could not. */
export async function removeTempDirs(pid: number, jobId: number, attempt: number): Promise<void> {
  const start = prefix(pid, jobId, attempt)
  const names = await readdir(tmpdir()).catch(() => [])
  await Promise.all(names.filter((name) => name.startsWith(start)).map((name) => rm(join(tmpdir(), name), { recursive: true, force: true })))
}
