import { readFileSync } from 'node:fs'
import { JobtreeError, oneLine } from '../errors.ts'

// The root job's input from a file, or from standard input with `-`: an
// input of megabytes cannot travel on a command line (E2BIG).

export function readInputFile(path: string): unknown {
  const where = path === '-' ? 'standard input' : path
  let text: string
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8')
  } catch (err) {
    throw new JobtreeError('BAD_OPTION', `cannot read --input-file ${where}: ${oneLine(err)}`, { path })
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new JobtreeError('BAD_OPTION', `--input-file ${where} is not valid JSON (${oneLine(err)})`, { path })
  }
}
