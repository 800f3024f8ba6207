import { existsSync, readFileSync } from 'node:fs'
import { dirname, extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { JobtreeError, oneLine } from '../errors.ts'

/** Imports a workflow module (registering its targets) and returns its absolute path. */
export async function loadWorkflowModule(path: string): Promise<string> {
  const abs = resolve(path)
  if (!existsSync(abs)) throw new JobtreeError('MODULE_LOAD', `workflow module ${abs} does not exist`, { module: abs })
  // A CommonJS module would load its own copy of jobtree, whose targets the
  // engine never sees; say so instead of failing obscurely.
  if (!['.mts', '.mjs'].includes(extname(abs)) && packageType(dirname(abs)) !== 'module') {
    throw new JobtreeError(
      'MODULE_LOAD',
      `workflow module ${abs} is not an ES module: name it .mts (or .mjs), or put "type": "module" in its package.json`,
      { module: abs },
    )
  }
  try {
    await import(pathToFileURL(abs).href)
  } catch (err) {
    throw new JobtreeError('MODULE_LOAD', `cannot import workflow module ${abs}: ${oneLine(err)}`, { module: abs })
  }
  return abs
}

/** The "type" of the nearest package.json above `dir` (Node's rule for .js and .ts files). */
function packageType(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, 'package.json')
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { type?: string }).type
      } catch {
        return undefined
      }
    }
    if (dirname(d) === d) return undefined
  }
}
