import { register } from 'node:module'
import { pathToFileURL } from 'node:url'
import { ownFile } from '../ownFile.ts'

// Loaded with --import by every process that imports workflow modules (the
// leader of `jobtree run`, local workers, workers on Slurm nodes), after
// tsx: installs hooks.ts, which loads a workflow written with import and
// export as an ES module whatever its package's type.

register(pathToFileURL(ownFile('./hooks.ts', import.meta.url)))
