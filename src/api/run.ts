import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JobtreeError } from '../errors.ts'
import { NOT_CREATED, orDiskFull, resumeHint } from '../diskFull.ts'
import { silentLogger, stderrLogger } from '../logger.ts'
import { pickConfig, runWorkflow } from '../leader/runWorkflow.ts'
import { WorkflowFailedError, type RunOptions } from './workflowFailed.ts'
import type { Target } from '../workflow/context.ts'

/** Runs a workflow from inside a program and returns the root job's value. */
export async function run<I, O>(root: Target<I, O>, input: I, options: RunOptions = {}): Promise<O> {
  const module = options.module ?? root.module
  if (module === undefined) throw new JobtreeError('BAD_OPTION', `cannot tell which module defines target ${root.name}: pass options.module`)
  const temporary = options.store === undefined
  const store = options.store ?? join(temporaryDir(), 'store')
  const config = pickConfig(options)
  const logger = options.logger ?? (options.logLevel === 'silent' ? silentLogger : stderrLogger(options.logLevel ?? 'warn'))
  const outcome = await runWorkflow({ module, target: root.name, input, store, restart: options.restart === true, config, logger }).catch((err: unknown) => {
    throw orDiskFull(err, store, resumeHint(store))
  })
  if (!outcome.ok) throw new WorkflowFailedError(outcome)
  if (temporary) rmSync(join(store, '..'), { recursive: true, force: true })
  return outcome.value as O
}

function temporaryDir(): string {
  try {
    return mkdtempSync(join(tmpdir(), 'jobtree-'))
  } catch (err) {
    throw orDiskFull(err, tmpdir(), NOT_CREATED)
  }
}
