// jobtree's own figures: real runs of the `jobtree` command on bench/workflows.ts.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeEvent } from '../src/events/codec.ts'
import { EventLog } from '../src/store/log.ts'
import { createdJobs } from '../src/events/jobsOf.ts'

export const REPO = fileURLToPath(new URL('..', import.meta.url))
export const BIN = join(REPO, 'bin', 'jobtree.js')
export const WORKFLOWS = join(REPO, 'bench', 'workflows.ts')

export interface RunFigures {
  jobs: number
  /** From WorkflowStarted to WorkflowFinished, as the log recorded them. */
  seconds: number
  jobsPerSecond: number
  /** The leader's peak resident memory. */
  peakRss: number
  events: number
  /** Encoded size of every event, per job. */
  logBytesPerJob: number
  /**
   * The leader's CPU time (all its threads) per job, in µs, in its steady
   * state: while the middle 80% of the jobs finished, away from its start-up
   * (loading the workflow, workers starting) and its end.
   */
  leaderCpuPerJobUs: number
}

/** A process's CPU time so far, in ns, summed over its threads (schedstat: finer than the 10 ms ticks of /proc/PID/stat). */
function cpuNs(pid: number): number {
  let sum = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // A thread that just ended.
    }
  }
  return sum
}

/** `samples` ([ms since the epoch, ns of CPU], in time order) at time `at`, interpolated. */
function cpuAt(samples: Array<[number, number]>, at: number): number {
  const after = samples.findIndex(([t]) => t >= at)
  if (after <= 0) return samples[after === 0 ? 0 : samples.length - 1]?.[1] ?? 0
  const [t0, c0] = samples[after - 1]
  const [t1, c1] = samples[after]
  return t1 === t0 ? c1 : c0 + ((c1 - c0) * (at - t0)) / (t1 - t0)
}

/**
 * Runs `jobtree run <module> --target <target>` (bench/workflows.ts by
 * default; `bin`: another checkout's jobtree, to compare with) in a fresh
 * store and reads the figures off its log.
 */
export async function runWorkflow(target: string, input: unknown, extra: string[] = [], module = WORKFLOWS, bin = BIN): Promise<RunFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-bench-'))
  const store = join(dir, 'store')
  try {
    const args = [bin, 'run', module, '--target', target, '--input', JSON.stringify(input), '--store', store, '--no-progress', '--log-level', 'error', ...extra]
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    let peakRss = 0
    const cpu: Array<[number, number]> = []
    const sample = () => {
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peakRss = Math.max(peakRss, Number(m[1]) * 1024)
        cpu.push([Date.now(), cpuNs(child.pid as number)])
      } catch {
        // gone
      }
    }
    const sampler = setInterval(sample, 10)
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    clearInterval(sampler)
    if (code !== 0) throw new Error(`jobtree run --target ${target} exited ${code}: ${stderr.trim()}`)
    const figures = await readFigures(store)
    const { steady, ...rest } = figures
    const leaderCpuNs = cpuAt(cpu, steady.to) - cpuAt(cpu, steady.from)
    return { ...rest, peakRss, leaderCpuPerJobUs: leaderCpuNs / 1000 / steady.jobs }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The figures a log holds, and `steady`: when the middle 80% of its jobs finished (ms since the epoch), and how many they are. */
async function readFigures(store: string): Promise<Omit<RunFigures, 'peakRss' | 'leaderCpuPerJobUs'> & { steady: { from: number; to: number; jobs: number } }> {
  const log = await EventLog.open(join(store, 'events'), false)
  try {
    let jobs = 0
    let events = 0
    let bytes = 0
    let started = 0
    let finished = 0
    const ends: number[] = []
    for await (const { event } of log.read()) {
      events += 1
      bytes += encodeEvent(event).length
      for (const _ of createdJobs(event)) jobs += 1
      if (event.type === 'WorkflowStarted') started = event.at
      if (event.type === 'WorkflowFinished') finished = event.at
      if (event.type === 'JobFinished') ends.push(event.at)
    }
    const seconds = (finished - started) / 1000
    ends.sort((a, b) => a - b)
    const [first, last] = [Math.floor(ends.length * 0.1), Math.floor(ends.length * 0.9)]
    const steady = { from: ends[first] ?? started, to: ends[last] ?? finished, jobs: Math.max(1, last - first) }
    return { jobs, seconds, jobsPerSecond: jobs / seconds, events, logBytesPerJob: bytes / jobs, steady }
  } finally {
    await log.close()
  }
}
