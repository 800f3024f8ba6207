import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunConfig } from '../events/catalogue.ts'
import { JobtreeError } from '../errors.ts'
import { silentLogger, stderrLogger, type LogLevel, type Logger } from '../engine/logger.ts'
import { pickConfig, runWorkflow, type RunOutcome } from '../engine/runWorkflow.ts'
import { failedJobsSummary } from '../projections/describe.ts'
import type { Target } from './target.ts'

export interface RunOptions extends Partial<RunConfig> {
  /** Store directory; by default a temporary one, removed after a successful run. */
  store?: string
  /** Resume the run in an existing store. */
  restart?: boolean
  /** The workflow module the workers import; by default the file that defined the target. */
  module?: string
  logLevel?: LogLevel | 'silent'
  logger?: Logger
}

/** The run did not succeed: `outcome` holds the final state; the store is kept. */
export class WorkflowFailedError extends JobtreeError {
  constructor(readonly outcome: RunOutcome) {
    const f = outcome.state.finished
    super(
      'WORKFLOW_FAILED',
      f === null
        ? `the workflow was stopped before it finished (store ${outcome.store})`
        : `workflow failed: ${failedJobsSummary(outcome.state)}; ${f.neverRan} job(s) never ran because of them; see: jobtree status ${outcome.store}`,
      { store: outcome.store },
    )
  }
}

/** Runs a workflow from inside a program and returns the root job's value. */
export async function run<I, O>(root: Target<I, O>, input: I, options: RunOptions = {}): Promise<O> {
  const module = options.module ?? root.module
  if (module === undefined) throw new JobtreeError('BAD_OPTION', `cannot tell which module defines target ${root.name}: pass options.module`)
  const temporary = options.store === undefined
  const store = options.store ?? join(mkdtempSync(join(tmpdir(), 'jobtree-')), 'store')
  const config = pickConfig(options)
  const logger = options.logger ?? (options.logLevel === 'silent' ? silentLogger : stderrLogger(options.logLevel ?? 'warn'))
  const outcome = await runWorkflow({ module, target: root.name, input, store, restart: options.restart === true, config, logger })
  if (!outcome.ok) throw new WorkflowFailedError(outcome)
  if (temporary) rmSync(join(store, '..'), { recursive: true, force: true })
  return outcome.value as O
}
