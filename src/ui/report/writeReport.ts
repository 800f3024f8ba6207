import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { JobtreeError } from '../../errors.ts'

// The report is written whole or not at all: to a temporary name beside it,
// then renamed, so that a browser opening it never sees half a page. It holds
// inputs and log lines from the store, which is its owner's alone: the file is too (0600).

/** Refuses, before any work, a path whose directory does not exist or that names a directory. */
export function checkOutput(file: string): string {
  const path = resolve(file)
  const dir = dirname(path)
  const stat = statSync(dir, { throwIfNoEntry: false })
  if (stat === undefined) throw new JobtreeError('BAD_OPTION', `cannot write the report to ${path}: the directory ${dir} does not exist`, { path })
  if (!stat.isDirectory()) throw new JobtreeError('BAD_OPTION', `cannot write the report to ${path}: ${dir} is not a directory`, { path })
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
    throw new JobtreeError('BAD_OPTION', `cannot write the report to ${path}: it is a directory`, { path })
  return path
}

export function writeReport(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  try {
    writeFileSync(temp, text, { mode: 0o600 })
    renameSync(temp, path)
  } catch (err) {
    rmSync(temp, { force: true })
    throw err
  }
}
