// What a run produced: which jobs finished, with which values, what they
// handed on and left behind, and how the run ended. The expected values come
// from each suite's own expansion of its plan (it knows what every job
// computes); these checkers only hold the run to them.
import { isDeepStrictEqual } from 'node:util'
import type { JobEvent, JobFinished, WorkflowFinished } from '../../../src/events/catalogue.ts'

/** Each job that must succeed finished once; none that cannot finished. */
export function finishedAsExpected(jobs: Iterable<{ name: string; succeeds: boolean; finishes: readonly JobFinished[] }>): string[] {
  const problems: string[] = []
  for (const { name, succeeds, finishes } of jobs) {
    const attempts = finishes.map((f) => f.attempt).join(', ')
    if (!succeeds && finishes.length > 0) problems.push(`${name} finished (attempts ${attempts}), though it cannot succeed`)
    else if (succeeds && finishes.length === 0) problems.push(`${name} never finished`)
    else if (succeeds && finishes.length > 1) problems.push(`${name} has ${finishes.length} JobFinished events (attempts ${attempts}), not exactly one`)
  }
  return problems
}

/** Each finished job's logged value is the one planned (promises in it stored as tokens naming job ids). */
export function finishedValues(jobs: Iterable<{ name: string; finish: JobFinished; expected: unknown }>): string[] {
  const problems: string[] = []
  for (const { name, finish, expected } of jobs) {
    if (!isDeepStrictEqual(finish.value, expected))
      problems.push(`${name} finished with value ${JSON.stringify(finish.value)}, expected ${JSON.stringify(expected)}`)
  }
  return problems
}

/** Each job that must succeed left its value in its file, and no other job left one. `detail` says what the job was, for a wrong value. */
export function outFiles(
  out: ReadonlyMap<string, string>,
  expected: ReadonlyMap<string, number>,
  name: (path: string) => string,
  detail: (path: string) => string,
): string[] {
  const problems: string[] = []
  for (const file of out.keys()) if (!expected.has(file)) problems.push(`out/${file} exists, but ${name(file)} should not have succeeded`)
  for (const [path, value] of expected) {
    const got = out.get(path)
    if (got !== String(value)) problems.push(`out/${path} holds ${JSON.stringify(got)}, expected ${value} (${detail(path)})`)
  }
  return problems
}

export interface Handed {
  name: string
  /** Each start of each attempt, with what it got. */
  starts: ReadonlyArray<{ attempt: number; at: number; got: unknown }>
  expected: unknown[]
  /** The producers and parts, as the problem names them. */
  from: string
}

/** Every attempt of a job handed promises got the producers' resolved values. */
export function handedValues(jobs: Iterable<Handed>): string[] {
  const problems: string[] = []
  for (const { name, starts, expected, from } of jobs) {
    for (const l of starts) {
      if (!isDeepStrictEqual(l.got, expected))
        problems.push(`${name} attempt ${l.attempt} (line ${l.at}) got ${JSON.stringify(l.got)}, expected ${JSON.stringify(expected)} from ${from}`)
    }
  }
  return problems
}

/** The log ends with a WorkflowFinished with the fields given (the others are not compared). */
export function endsWithWorkflowFinished(
  events: readonly JobEvent[],
  expected: Partial<Pick<WorkflowFinished, 'ok' | 'succeeded' | 'failed' | 'neverRan'>>,
): string[] {
  const last = events.at(-1)
  const fields = Object.keys(expected) as Array<keyof typeof expected>
  if (last?.type === 'WorkflowFinished' && fields.every((k) => last[k] === expected[k])) return []
  return [`the log ends with ${JSON.stringify(last)?.slice(0, 300)}, expected WorkflowFinished ${JSON.stringify(expected)}`]
}

export interface EndReport {
  code: number | null
  signal: string | null
  stderr: string
}

/**
 * A run with jobs that fail completely ends with exit 1, names each of them
 * (by id, with its attempts), and says how many jobs never ran because of them.
 */
export function reportsFailures(
  final: EndReport,
  failedCompletely: Iterable<{ name: string; id: number | undefined }>,
  attempts: number,
  neverRan: number,
): string[] {
  const problems: string[] = []
  if (final.code !== 1) problems.push(`the final run exited with ${final.code ?? final.signal}, not 1`)
  for (const { name, id } of failedCompletely) {
    if (!new RegExp(`job ${id} \\(.*\\) failed completely after ${attempts} failed attempt\\(s\\)`).test(final.stderr)) {
      problems.push(`the final run's output does not name ${name} as failed completely`)
    }
  }
  if (!final.stderr.includes(`${neverRan} job(s) never ran because of them`)) problems.push(`the final run does not say that ${neverRan} job(s) never ran`)
  return problems
}
