import { printable } from '../printable.ts'
import { JobtreeError } from '../errors.ts'
import { toJson } from '../events/json.ts'
import { replay } from '../store/replay.ts'
import { failedAttempts } from '../audit/describe.ts'
import { duration, isoTime } from '../units.ts'
import { leaderStatus, statusReport, type StatusReport } from '../audit/statusReport.ts'
import { openStore, storePaths, type OpenStore } from '../store/store.ts'

/** `jobtree status`: returns the exit code. */
export async function statusCommand(dir: string, flags: { failIfNotComplete?: boolean; json?: boolean }): Promise<number> {
  const report = await readStatus(dir)
  process.stdout.write(flags.json ? toJson(report) + '\n' : formatStatus(report))
  return flags.failIfNotComplete && !(report.complete && report.ok) ? 1 : 0
}

/** From the log when no leader holds the store; from the running leader when one does. */
async function readStatus(dir: string): Promise<StatusReport> {
  let store: OpenStore
  try {
    store = await openStore(dir)
  } catch (err) {
    if (err instanceof JobtreeError && err.code === 'STORE_IN_USE') return leaderStatus(storePaths(dir))
    throw err
  }
  try {
    return statusReport(store.paths, await replay(store.log))
  } finally {
    await store.log.close()
  }
}

function formatStatus(r: StatusReport): string {
  const c = r.counts
  const lines = [
    `store:    ${r.store}`,
    `workflow: ${r.module || '?'} --target ${r.target || '?'} (run ${r.runId || 'not started'}, leader ${r.epoch})`,
    `state:    ${stateLine(r)}`,
    ...(r.startedAt > 0
      ? [
          `time:     started ${isoTime(r.startedAt)}, ${r.finishedAt === null ? 'running for' : 'ran for'} ${duration((r.finishedAt ?? Date.now()) - r.startedAt)}`,
        ]
      : []),
    `jobs:     ${c.total} created: ${c.succeeded} succeeded, ${issuedWords(r)}, ${c.ready} ready to issue, ${c.waiting} waiting for other jobs, ${c.failed} failed`,
  ]
  if (r.complete && c.waiting > 0) lines.push(`          ${c.waiting} never ran because a job they depend on failed`)
  for (const f of r.failedJobs) {
    lines.push('', `failed: job ${f.jobId} (${f.name}) ${failedAttempts(f.failures, f.attempts)}: ${f.reason}`)
    if (f.input) lines.push(`  input: ${f.input}`)
    if (f.logTail) lines.push(`  last lines of ${f.logFile}:`, ...f.logTail.split('\n').map((l) => `  | ${l}`))
  }
  // Every line is one line: a job's reason, input or log line must not end it, nor command the terminal.
  return lines.map((line) => printable(line)).join('\n') + '\n'
}

function issuedWords(r: StatusReport): string {
  const { issued } = r.counts
  if (r.running !== null) return `${r.running} running, ${Math.max(0, issued - r.running)} issued and queued for resources`
  // No leader holds them: a restart runs them again.
  return issued === 0 || r.complete ? `${issued} issued` : `${issued} issued by a leader that is gone (to run again on a restart)`
}

function stateLine(r: StatusReport): string {
  const c = r.counts
  if (r.complete && r.ok) return 'complete: every job succeeded'
  const blocked = c.waiting > 0 ? `, ${c.waiting} blocked by it` : ''
  if (r.complete) return `failed: ${c.failed} job(s) failed completely${blocked} (fix and resume with: jobtree run … --restart)`
  return r.live ? 'running (a leader is working on it)' : 'not complete (resume with: jobtree run … --restart)'
}
