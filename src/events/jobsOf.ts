import type { JobCreated, JobEvent, JobsCreated, JobSpec, JobsRewound, Relation } from './catalogue.ts'
import { parseFileId } from './fileId.ts'

// Which jobs an event makes or is about: what the read models (replay,
// events --job, the timeline) ask of every event.

/** A job as a JobCreated or JobsCreated event creates it. */
export interface CreatedJob {
  jobId: number
  parent: number
  relation: Relation
  spec: JobSpec
}

/** Whether `event` creates jobs. */
export function createsJobs(event: JobEvent | undefined): event is JobCreated | JobsCreated {
  return event?.type === 'JobCreated' || event?.type === 'JobsCreated'
}

/** The jobs `event` creates, in id order: none unless it is a JobCreated or a JobsCreated. */
export function* createdJobs(event: JobEvent): Generator<CreatedJob> {
  if (event.type === 'JobCreated') yield event
  if (event.type !== 'JobsCreated') return
  for (let id = event.first; id < event.first + event.count; id++) yield { jobId: id, parent: event.parent, relation: event.relation, spec: event.spec }
}

/** Whether `event` sends job `jobId` back to run again or discards it. */
export function rewinds(event: JobsRewound, jobId: number): boolean {
  return event.reset.some((j) => j.jobId === jobId) || event.discarded.some(([first, count]) => jobId >= first && jobId < first + count)
}

/** Whether `event` is about job `jobId` (names it, or creates it). */
export function concernsJob(event: JobEvent, jobId: number): boolean {
  if (event.type === 'JobsCreated') return jobId >= event.first && jobId < event.first + event.count
  if (event.type === 'FilesReleased') return event.files.some((file) => parseFileId(file)?.jobId === jobId)
  if (event.type === 'JobsRewound') return rewinds(event, jobId) || event.reopened.some((j) => j.jobId === jobId)
  return 'jobId' in event && event.jobId === jobId
}
