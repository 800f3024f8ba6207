import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { JobtreeError, oneLine } from '../errors.ts'
import { installWorkflowLoaders } from '../loader/workflowLoader.ts'

/**
 * Imports a workflow module (registering its targets) and returns its
 * absolute path. TypeScript or JavaScript, ES module or CommonJS, whatever
 * the type of its package: tsx and jobtree's loader hooks (src/loader/) are
 * installed first, as every worker starts with them.
 */
export async function loadWorkflowModule(path: string): Promise<string> {
  const abs = resolve(path)
  if (!existsSync(abs)) throw new JobtreeError('MODULE_LOAD', `workflow module ${abs} does not exist`, { module: abs })
  await installWorkflowLoaders()
  try {
    await import(pathToFileURL(abs).href)
  } catch (err) {
    throw new JobtreeError('MODULE_LOAD', `cannot import workflow module ${abs}: ${oneLine(err)}`, { module: abs })
  }
  return abs
}
