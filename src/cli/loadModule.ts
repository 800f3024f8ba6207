import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { JobtreeError, oneLine } from '../errors.ts'

/** Imports a workflow module (registering its targets) and returns its absolute path. */
export async function loadWorkflowModule(path: string): Promise<string> {
  const abs = resolve(path)
  if (!existsSync(abs)) throw new JobtreeError('MODULE_LOAD', `workflow module ${abs} does not exist`, { module: abs })
  try {
    await import(pathToFileURL(abs).href)
  } catch (err) {
    throw new JobtreeError('MODULE_LOAD', `cannot import workflow module ${abs}: ${oneLine(err)}`, { module: abs })
  }
  return abs
}
