import type { FailureReason, JobSpec } from '../events/catalogue.ts'
import { formatSize } from '../sizes.ts'
import { toJson } from '../events/json.ts'
import type { JobTreeState } from '../decider/jobTreeState.ts'

// Words for jobs and failures, shared by the leader's messages and `status`.

export function jobName(spec: JobSpec): string {
  const { work } = spec
  if (work.kind === 'target') return work.target
  const text = typeof work.command === 'string' ? work.command : work.command.join(' ')
  return `command: ${text.length > 60 ? text.slice(0, 57) + '...' : text}`
}

/** What jobs are grouped by in figures per target: the target's name, or `command <program>` for command jobs (not their whole command line). */
export function targetGroup(name: string): string {
  if (!name.startsWith('command: ')) return name
  return `command ${name.slice('command: '.length).trim().split(/\s+/)[0] ?? ''}`
}

/** A short, one-line rendering of a target job's input (for failure reports). */
export function inputSummary(spec: JobSpec, max = 80): string {
  if (spec.work.kind !== 'target') return ''
  const text = toJson(spec.work.input)
  return text.length > max ? `${text.slice(0, max - 3)}...` : text
}

export function describeReason(reason: FailureReason): string {
  switch (reason.kind) {
    case 'exception':
      return `threw: ${reason.message}`
    case 'exit':
      return `exited with code ${reason.code}`
    case 'signal':
      return `killed by ${reason.signal}`
    case 'workerDied':
      return `its worker process died (${reason.signal ?? `exit code ${reason.code}`})`
    case 'invalidResult':
    case 'unschedulable':
    case 'deadlock':
    case 'lost':
      return reason.message
    case 'timeout':
      return `killed after running ${reason.ranSeconds} s, over its limit of ${reason.limitSeconds} s`
    case 'outOfMemory':
      if (reason.usedBytes === 0) return `killed for using more than the ${formatSize(reason.askedBytes)} of memory it asked for: ask for more memory`
      return `killed for using ${formatSize(reason.usedBytes)} of memory when it asked for ${formatSize(reason.askedBytes)}: ask for more memory`
    case 'cancelled':
    case 'nodeFailure':
    case 'noSpace':
      return reason.message
  }
}

/**
 * How many attempts a job that failed completely had, in one wording for the
 * leader, `status` and the run's verdict: its failures since its last retry
 * budget began, and, when they differ, all it ever had.
 */
export function failedAttempts(failures: number, attempts: number): string {
  const failed = `after ${failures} failed attempt(s)`
  if (attempts <= failures) return failed
  return `${failed} (${attempts} in all: the others were cut short by a stopping leader, or ran before a restart gave it a fresh budget)`
}

/** The jobs that failed completely, with their reasons, on one line. */
export function failedJobsSummary(state: JobTreeState, most = 3): string {
  const failed = [...state.jobs.entries()].map(([, job]) => job).filter((job) => job.phase === 'failed')
  const named = failed.slice(0, most).map((job) => {
    const reason = job.lastFailure ? `: ${describeReason(job.lastFailure).split('\n')[0]}` : ''
    return `job ${job.id} (${jobName(job.spec)}) failed completely ${failedAttempts(job.failures, job.attempts)}${reason}`
  })
  if (failed.length > most) named.push(`and ${failed.length - most} more job(s)`)
  return named.length > 0 ? named.join('; ') : `${state.finished?.failed ?? 0} job(s) failed completely`
}

/** What a restart will do, by name: a run with 237 jobs ready must not read as one with nothing to do. */
export function resumeSummary(counts: JobTreeState['counts']): string {
  const { succeeded, issued, failed, ready, waiting } = counts
  const toRun = issued + failed + ready + waiting
  if (toRun === 0) return `${succeeded} jobs done, nothing left to run`
  const parts = [
    [issued, 'cut short by the last leader, to run again'],
    [failed, 'failed, to retry with a fresh budget'],
    [ready, 'ready'],
    [waiting, 'waiting for other jobs'],
  ] as const
  const named = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`)
  return `${succeeded} jobs done; ${toRun} to run: ${named.join(', ')}`
}
