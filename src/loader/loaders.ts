import { pathToFileURL } from 'node:url'
import { ownFile } from '../ownFile.ts'

// How a process that imports workflow modules is started: Node's --import
// options for tsx (TypeScript) and for jobtree's hook that loads ES-module
// workflows as such (register.ts). Absolute, so that they load whatever the
// process's working directory is.

export const WORKFLOW_LOADERS: readonly string[] = [
  '--import',
  import.meta.resolve('tsx'),
  '--import',
  pathToFileURL(ownFile('./register.ts', import.meta.url)).href,
]
