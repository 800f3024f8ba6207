// jobtree's public API: register targets in a workflow module, run them.
export { target, type Target, type TargetFn } from './api/target.ts'
export type { JobContext, JobHandle, Promised, Resolvable } from './api/context.ts'
export type { JobOptions } from './api/options.ts'
export { run, WorkflowFailedError, type RunOptions } from './api/run.ts'
export { JobtreeError, type ErrorCode } from './errors.ts'
export type { JobEvent, RunConfig } from './events/catalogue.ts'
