// jobtree's own figures: real runs of the `jobtree` command on bench/workflows.ts.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
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
}

/** Runs `jobtree run <module> --target <target>` (bench/workflows.ts by default) in a fresh store and reads the figures off its log. */
export async function runWorkflow(target: string, input: unknown, extra: string[] = [], module = WORKFLOWS): Promise<RunFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-bench-'))
  const store = join(dir, 'store')
  try {
    const args = [BIN, 'run', module, '--target', target, '--input', JSON.stringify(input), '--store', store, '--no-progress', '--log-level', 'error', ...extra]
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    let peakRss = 0
    const sample = () => {
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peakRss = Math.max(peakRss, Number(m[1]) * 1024)
      } catch {
        // gone
      }
    }
    const sampler = setInterval(sample, 20)
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    clearInterval(sampler)
    if (code !== 0) throw new Error(`jobtree run --target ${target} exited ${code}: ${stderr.trim()}`)
    return { ...(await readFigures(store)), peakRss }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function readFigures(store: string): Promise<Omit<RunFigures, 'peakRss'>> {
  const log = await EventLog.open(join(store, 'events'), false)
  try {
    let jobs = 0
    let events = 0
    let bytes = 0
    let started = 0
    let finished = 0
    for await (const { event } of log.read()) {
      events += 1
      bytes += encodeEvent(event).length
      for (const _ of createdJobs(event)) jobs += 1
      if (event.type === 'WorkflowStarted') started = event.at
      if (event.type === 'WorkflowFinished') finished = event.at
    }
    const seconds = (finished - started) / 1000
    return { jobs, seconds, jobsPerSecond: jobs / seconds, events, logBytesPerJob: bytes / jobs }
  } finally {
    await log.close()
  }
}
