import type { RunConfig } from '../events/catalogue.ts'
import type { LogLevel, Logger } from '../logger.ts'
import type { RunOutcome } from '../leader/runWorkflow.ts'
import { JobtreeError } from '../errors.ts'
import { failedJobsSummary } from '../audit/describe.ts'

// What run() takes and how it fails, kept apart from the engine it loads, so
// that a workflow module importing jobtree (as every worker does) stays light.

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
