import { readFileSync } from 'node:fs'

// A job's log holds every attempt's output one after the other, each after
// a header line the worker writes when the attempt first prints
// (`=== attempt 2 of job 7 (target x) pid … at … ===`, src/worker/attempt.ts).
// A failed attempt that a later one followed is read for its own lines, not
// for the log's end.

/** The last `lines` lines (at most `maxChars`) that `attempt` of job `jobId` wrote; '' when it wrote nothing the log still holds. */
export function attemptTail(file: string, jobId: number, attempt: number, lines = 10, maxChars = 16384): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return ''
  }
  const header = `=== attempt ${attempt} of job ${jobId} `
  const at = text.startsWith(header) ? 0 : text.indexOf(`\n${header}`)
  if (at === -1) return ''
  const bodyStart = text.indexOf('\n', at + 1)
  if (bodyStart === -1) return ''
  const next = text.indexOf('\n=== attempt ', bodyStart)
  const body = text.slice(bodyStart + 1, next === -1 ? undefined : next).trimEnd()
  return body.slice(-maxChars).split('\n').slice(-lines).join('\n')
}
