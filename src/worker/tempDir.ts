import { mkdtempSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RUN_TAG } from './processGroup.ts'

// Each attempt's private temp dir. Its name starts with the run's id (a
// local worker has it in its environment), the worker's pid, the job id and
// the attempt. The leader removes the dirs of a worker it killed or lost (a
// worker runs one attempt at a time); the next leader of the run removes
// those of the workers that were SIGKILLed with an earlier leader. The run's
// id, not a dead pid, is what proves a dir theirs: /tmp may be shared with
// another PID namespace, where the same pid is alive.

export function makeTempDir(jobId: number, attempt: number): string {
  return mkdtempSync(join(tmpdir(), `${tempDirPrefix(process.env[RUN_TAG], process.pid)}${jobId}-${attempt}-`))
}

/** The start of the names of the dirs of run `runId`'s worker `pid`, or of all its workers. */
export function tempDirPrefix(runId: string | undefined, pid?: number): string {
  return `jobtree-${runId === undefined ? '' : `${runId}-`}${pid === undefined ? '' : `${pid}-`}`
}

/** Removes the temp dirs whose names start with `prefix`: their workers are gone. */
export async function removeTempDirs(prefix: string): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [])
  await Promise.all(names.filter((name) => name.startsWith(prefix)).map((name) => rm(join(tmpdir(), name), { recursive: true, force: true })))
}
