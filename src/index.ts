// jobtree's public API: register targets in a workflow module, run them.
import type { Target } from './workflow/context.ts'
import type { RunOptions } from './api/workflowFailed.ts'
export { target } from './workflow/target.ts'
export type { JobContext, JobHandle, Promised, Resolvable, Target, TargetFn } from './workflow/context.ts'
export type { JobOptions } from './workflow/options.ts'
export { WorkflowFailedError, type RunOptions } from './api/workflowFailed.ts'
export { JobtreeError, type ErrorCode } from './errors.ts'
export type { JobEvent, RunConfig } from './events/catalogue.ts'
export type { FileId } from './events/fileId.ts'
export type { FileStore, ReadOptions, ExportOptions } from './files/attemptFiles.ts'
export type { FileSource } from './files/storeFile.ts'
export { importFile } from './files/imports.ts'

/**
 * Runs a workflow from inside a program and returns the root job's value.
 * The engine is loaded on first use: workers import workflow modules, which
 * import this file, and need none of it.
 */
export async function run<I, O>(root: Target<I, O>, input: I, options?: RunOptions): Promise<O> {
  const engine = await import('./api/run.ts')
  return engine.run(root, input, options)
}
