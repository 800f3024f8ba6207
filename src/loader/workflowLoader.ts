import { pathToFileURL } from 'node:url'
import { ownFile } from '../ownFile.ts'

// The same loaders as loaders.ts gives a new process with --import, installed
// in this one when it first needs them: a leader started from the build
// loads jobtree's own modules natively, which takes a third of the time they
// take through tsx's hooks, and installs tsx only to import the workflow.
// Importing is idempotent (a module is evaluated once), so a process that
// started with the loaders, or asks twice, installs them once.

export async function installWorkflowLoaders(): Promise<void> {
  await import(import.meta.resolve('tsx'))
  await import(pathToFileURL(ownFile('./register.ts', import.meta.url)).href)
}
