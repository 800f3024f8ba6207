import { makeStoreDir } from '../storeModes.ts'
import { pathToFileURL } from 'node:url'
import { lookupTarget, targetNames } from '../workflow/target.ts'
import { oneLine } from '../errors.ts'
import type { JobLog } from './jobLog.ts'
import { WorkerJobContext } from './jobContext.ts'
import { type AttemptResult, encodeResult, type IssuedJob } from './protocol.ts'
import { exceptionReason } from './failure.ts'
import type { SuccessorSpec } from '../events/catalogue.ts'
import { AttemptFileStore } from '../files/attemptFiles.ts'

// Runs a target: the function a workflow module registered by name.

// Importing registers the module's targets; a warm worker does it once per module.
const imports = new Map<string, Promise<unknown>>()
// The run's shared directories this worker has already made sure of.
const globalDirs = new Set<string>()

export interface TargetRun {
  job: IssuedJob
  target: string
  input: unknown
  /** Makes (the first time) and returns the attempt's temp dir. */
  tempDir: () => string
  log: JobLog
  messages: string[]
  /** Filled with what the target added, in call order, when it succeeds. */
  successors: SuccessorSpec[]
  /** Called once the workflow module is loaded, right before the target runs. */
  imported: () => void
}

export async function runTarget(run: TargetRun): Promise<AttemptResult> {
  const { job } = run
  try {
    await importOnce(job.module)
  } catch (err) {
    return failure(`cannot import workflow module ${job.module}: ${oneLine(err)}`)
  }
  const target = lookupTarget(run.target)
  if (target === undefined) return failure(`unknown target ${run.target} in ${job.module} (known: ${targetNames().join(', ')})`)

  if (!globalDirs.has(job.globalDir)) {
    makeStoreDir(job.globalDir)
    globalDirs.add(job.globalDir)
  }
  const files = new AttemptFileStore(job.filesDir, job.runId, job.jobId, job.attempt)
  const ctx = new WorkerJobContext(job.jobId, job.attempt, run.tempDir, job.globalDir, run.messages, files)
  run.imported()
  run.log.capture()
  let value: unknown
  try {
    value = await target.fn(ctx, run.input)
  } catch (err) {
    files.discard()
    return { ok: false, reason: exceptionReason(err) }
  } finally {
    run.log.uncapture()
  }
  try {
    const payload = encodeResult({ value, successors: ctx.successors, files: files.seal() }, `the value returned by target ${run.target}`)
    for (const successor of ctx.successors) run.successors.push(successor)
    return { ok: true, payload }
  } catch (err) {
    files.discard()
    return { ok: false, reason: { kind: 'invalidResult', message: oneLine(err) } }
  }
}

function importOnce(module: string): Promise<unknown> {
  let loading = imports.get(module)
  if (loading === undefined) {
    loading = import(pathToFileURL(module).href)
    imports.set(module, loading)
  }
  return loading
}

function failure(message: string): AttemptResult {
  return { ok: false, reason: { kind: 'exception', message } }
}
