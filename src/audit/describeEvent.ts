import type { JobEvent } from '../events/catalogue.ts'
import { formatSize } from '../sizes.ts'
import { parseFileId } from '../events/fileId.ts'
import { describeReason, jobName } from './describe.ts'

// One line for one event, as `replay --job` and `replay --step` show it.
// `name` gives a job's name where the event does not carry it.

/** A file as a person reads it: its name and who wrote it. */
function fileLabel(id: string): string {
  const ref = parseFileId(id)
  if (ref === undefined) return id
  return ref.jobId === -1 ? `${ref.name} (imported file ${ref.n})` : `${ref.name} (file ${ref.n} of job ${ref.jobId})`
}

/** Ids as a person reads them: a few, then how many more. */
function idList(ids: readonly number[]): string {
  const shown = ids.slice(0, 8).join(', ')
  return `${ids.length === 1 ? 'job' : `${ids.length} jobs`} ${shown}${ids.length > 8 ? ', …' : ''}`
}

export function describeEvent(e: JobEvent, name: (jobId: number) => string): string {
  const job = (id: number) => `job ${id} (${name(id)})`
  switch (e.type) {
    case 'WorkflowStarted':
      return `run ${e.runId} started: target ${e.target} of ${e.module} (leader ${e.epoch})`
    case 'WorkflowResumed':
      return `leader ${e.epoch} resumed the run`
    case 'WorkflowInterrupted':
      return `the run was interrupted: ${e.reason}`
    case 'WorkflowFinished':
      return `the run finished ${e.ok ? 'successfully' : 'with failures'}: ${e.succeeded} succeeded, ${e.failed} failed, ${e.neverRan} never ran`
    case 'JobCreated':
      return e.relation === 'root'
        ? `job ${e.jobId} (${jobName(e.spec)}) created as the root`
        : `job ${e.jobId} (${jobName(e.spec)}) created as a ${e.relation === 'child' ? 'child' : 'follow-on'} of ${job(e.parent)}`
    case 'JobsCreated':
      return `jobs ${e.first}–${e.first + e.count - 1} (${jobName(e.spec)}) created as ${e.relation === 'child' ? 'children' : 'follow-ons'} of ${job(e.parent)}`
    case 'JobIssued':
      return `${job(e.jobId)} issued, attempt ${e.attempt} (leader ${e.epoch})`
    case 'JobFinished': {
      const { first, children, followOns } = e.successors
      const added =
        children + followOns === 0 ? 'no successors' : `added jobs ${first}–${first + children + followOns - 1} (${children} children, ${followOns} follow-ons)`
      return `${job(e.jobId)} attempt ${e.attempt} succeeded in ${e.stats.wallMs} ms (CPU ${e.stats.cpuMs} ms, ${formatSize(e.stats.maxRss)}); ${added}`
    }
    case 'JobFailed':
      return `${job(e.jobId)} attempt ${e.attempt} failed: ${describeReason(e.reason).split('\n')[0]}`
    case 'JobRetried':
      return `${job(e.jobId)} will be tried again${e.notBefore === undefined ? '' : ` after ${e.notBefore - e.at} ms`}`
    case 'JobBackoffElapsed':
      return `${job(e.jobId)} waited out its backoff`
    case 'JobFailedCompletely':
      return `${job(e.jobId)} failed completely`
    case 'JobRevived':
      return `${job(e.jobId)} gets a fresh retry budget`
    case 'JobAbandoned':
      return `${job(e.jobId)} attempt ${e.attempt} abandoned: ${e.reason}`
    case 'MessageLogged':
      return `${job(e.jobId)} attempt ${e.attempt} says: ${e.text}`
    case 'FileWritten':
      return e.jobId === -1
        ? `file ${e.n} imported: ${e.name} (${formatSize(e.size)})`
        : `${job(e.jobId)} attempt ${e.attempt} wrote file ${e.n}: ${e.name} (${formatSize(e.size)})`
    case 'FileDeleted':
      return `${job(e.jobId)} attempt ${e.attempt} deleted ${fileLabel(e.file)}`
    case 'FileExported':
      return `${job(e.jobId)} attempt ${e.attempt} exported ${fileLabel(e.file)} to ${e.path}`
    case 'JobsRewound': {
      const asked = 'jobs' in e.asked ? `job${e.asked.jobs.length > 1 ? 's' : ''} ${e.asked.jobs.join(', ')}` : `the run as at event ${e.asked.toSeq}`
      const discarded = e.discarded.reduce((n, [, count]) => n + count, 0)
      return `rewound ${asked}: ${idList(e.reset.map((r) => r.jobId))} run again, ${discarded} job(s) their attempts made discarded`
    }
    case 'FilesReleased':
      return `${e.files.length} file(s) released, nothing could read them any more: ${e.files.slice(0, 3).map(fileLabel).join(', ')}${e.files.length > 3 ? ', …' : ''}`
  }
}
