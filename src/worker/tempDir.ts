import { mkdtempSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RUN_TAG } from './processGroup.ts'

// Each attempt's private temp dir: jobtree-<worker pid>-<job>-<attempt>-
// <run id>-XXXXXX (the run id when the worker has one in its environment, as
// a local worker does). The leader removes the dirs of a worker it killed or
// lost (a worker runs one attempt at a time); the next leader of the run
// removes those of the workers that were SIGKILLed with an earlier leader.
// The run's id, not a dead pid, is what proves a dir theirs: /tmp may be
// shared with another PID namespace, where the same pid is alive.

export function makeTempDir(jobId: number, attempt: number): string {
  const runId = process.env[RUN_TAG]
  return mkdtempSync(join(tmpdir(), `jobtree-${process.pid}-${jobId}-${attempt}-${runId === undefined ? '' : `${runId}-`}`))
}

/** The dirs of worker `pid`. */
export function ofWorker(pid: number): (name: string) => boolean {
  const start = `jobtree-${pid}-`
  return (name) => name.startsWith(start)
}

/** The dirs of every worker of run `runId`. */
export function ofRun(runId: string): (name: string) => boolean {
  const shape = /^jobtree-\d+-\d+-\d+-(.*)-[^-]+$/
  return (name) => shape.exec(name)?.[1] === runId
}

/** Removes the temp dirs that `match` picks: their workers are gone. */
export async function removeTempDirs(match: (name: string) => boolean): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [])
  await Promise.all(names.filter(match).map((name) => rm(join(tmpdir(), name), { recursive: true, force: true })))
}
