// A job's log file name inside the store's logs folder. The worker that
// chains a job names its file too, before the leader has heard of the job.

export function jobLogName(jobId: number): string {
  return `${jobId}.log`
}
