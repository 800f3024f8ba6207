import type { JobEvent } from '../../src/events/catalogue.ts'
import { createdJobs } from '../../src/events/jobsOf.ts'

// A worker that chains runs a job before the log records it; if its leader
// dies first, that run is forgotten, and the job runs again (as any job
// running at a crash) under a new id. Such a run is licensed by the log all
// the same: its id is one a synced JobIssued set aside for chaining, and one
// no job was ever created with. The tests' oracles leave those runs out, and
// flag any run under an id the log neither created nor set aside.

/** Whether `jobId` is an id the log set aside for chaining and never gave to a job. */
export function unrecordedChainId(events: readonly JobEvent[]): (jobId: number) => boolean {
  const created = new Set<number>()
  const setAside = new Set<number>()
  let next = 0
  for (const e of events) {
    if (e.type === 'JobCreated' || e.type === 'JobsCreated') {
      for (const c of createdJobs(e)) {
        created.add(c.jobId)
        if (c.jobId === next) next += 1
      }
    } else if (e.type === 'JobIssued' && e.reserved !== undefined) {
      for (let i = 0; i < e.reserved; i++) setAside.add(next + i)
      next += e.reserved
    }
  }
  return (jobId) => setAside.has(jobId) && !created.has(jobId)
}
