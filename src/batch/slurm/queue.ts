import { runSlurm, complaint } from './commands.ts'
import { JobtreeError } from '../../errors.ts'

// Reading the run's Slurm jobs: one squeue call for all of them, selected by
// the job name every job of the run carries. `-t all` includes the jobs that
// have ended and that slurmctld still remembers (MinJobAge, 300 s by
// default), with their final state and wait status.

export interface QueueEntry {
  id: string
  /** Slurm's long state name: PENDING, RUNNING, COMPLETED, TIMEOUT, … */
  state: string
  /** The batch script's wait status (exit code << 8 | signal), as squeue reports it. */
  waitStatus: number
  /** Seconds the job has run. */
  ranSeconds: number
  /** Why it waits, or why it ended (None, Resources, Priority, NonZeroExitCode, …). */
  reason: string
}

const FORMAT = 'JobID:|,State:|,exit_code:|,TimeUsed:|,Reason:|'

// Reasons a pending job waits that do not pass as other jobs end: a limit of
// the partition, account or QoS, a request no node of the partition can hold
// (PartitionConfig, when the site does not refuse it at submission), a node
// or partition that is down, a hold.
const STUCK = /Limit|NotAvail|BadConstraints|PartitionConfig|PartitionDown|PartitionInactive|Invalid|NotAllowed|Held|NeverSatisfied|LaunchFailed/i

export function isStuck(reason: string): boolean {
  return STUCK.test(reason)
}

// States in which a job has not ended yet (COMPLETING: its processes are
// still being cleaned up, and the final state is not known).
const LIVE = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'STOPPED',
  'SIGNALING',
  'STAGE_OUT',
  'RESIZING',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESV_DEL_HOLD',
])

export function isLive(state: string): boolean {
  return LIVE.has(state)
}

/** The run's jobs Slurm knows, by id; `all` adds those that have ended. Throws BATCH_SYSTEM if squeue fails. */
export async function readQueue(tag: string, all: boolean): Promise<Map<string, QueueEntry>> {
  const result = await runSlurm('squeue', ['--noheader', `--name=${tag}`, ...(all ? ['--states=all'] : []), `--Format=${FORMAT}`])
  if (result.code !== 0) throw new JobtreeError('BATCH_SYSTEM', `squeue failed: ${complaint(result)}`, { tag })
  return parseQueue(result.stdout)
}

export function parseQueue(text: string): Map<string, QueueEntry> {
  const entries = new Map<string, QueueEntry>()
  for (const line of text.split('\n')) {
    const [id, state, status, used, reason] = line.trim().split('|')
    if (id === undefined || id === '' || state === undefined) continue
    entries.set(id, { id, state: state.split(' ')[0], waitStatus: Number(status) || 0, ranSeconds: parseDuration(used ?? ''), reason: reason ?? '' })
  }
  return entries
}

/** Slurm's [days-][hours:]minutes:seconds as seconds (0 when unreadable). */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(text.trim())
  if (m === null) return 0
  const [, days = '0', hours = '0', minutes, seconds] = m
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)
}

/** The largest resources one node offers: what sinfo says of every node the partitions hold. */
export async function largestNode(): Promise<{ cores: number; memory: number; disk: number }> {
  const result = await runSlurm('sinfo', ['--noheader', '--format=%c|%m|%d'])
  if (result.code !== 0) throw new JobtreeError('BATCH_SYSTEM', `cannot reach the Slurm controller (sinfo: ${complaint(result)})`)
  let cores = 0
  let memory = 0
  let disk = 0
  for (const line of result.stdout.split('\n')) {
    const [c, m, d] = line
      .trim()
      .split('|')
      .map((field) => parseInt(field, 10))
    if (!Number.isFinite(c)) continue
    cores = Math.max(cores, c)
    memory = Math.max(memory, (m || 0) * 2 ** 20)
    disk = Math.max(disk, (d || 0) * 2 ** 20)
  }
  if (cores === 0) throw new JobtreeError('BATCH_SYSTEM', 'the Slurm cluster has no nodes (sinfo lists none)')
  return { cores, memory, disk }
}
