import { mkdtempSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Each attempt's private temp dir. Its name starts with the worker's pid, the
// job id and the attempt, so that the leader can remove the dirs a worker it
// killed or lost left behind (a worker runs one attempt at a time).

export function makeTempDir(jobId: number, attempt: number): string {
  return mkdtempSync(join(tmpdir(), `${prefix(process.pid)}${jobId}-${attempt}-`))
}

function prefix(pid: number): string {
  return `jobtree-${pid}-`
}

/** Removes what the worker (process `pid`, now gone) could not. */
export async function removeTempDirs(pid: number): Promise<void> {
  const start = prefix(pid)
  const names = await readdir(tmpdir()).catch(() => [])
  await Promise.all(names.filter((name) => name.startsWith(start)).map((name) => rm(join(tmpdir(), name), { recursive: true, force: true })))
}
