import type { FailureReason, JobSpec } from '../events/catalogue.ts'

// Words for jobs and failures, shared by the leader's messages and `status`.

export function jobName(spec: JobSpec): string {
  const { work } = spec
  if (work.kind === 'target') return work.target
  const text = typeof work.command === 'string' ? work.command : work.command.join(' ')
  return `command: ${text.length > 60 ? text.slice(0, 57) + '...' : text}`
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
  }
}
