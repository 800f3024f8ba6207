import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import inspector from 'node:inspector'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventSource } from '../audit/eventSource.ts'
import { recordedJob, type RecordedJob } from '../audit/recordedJob.ts'
import { inputSummary, jobName } from '../audit/describe.ts'
import { toJson } from '../events/json.ts'
import { JobtreeError } from '../errors.ts'
import { ScratchFileStore } from '../files/scratchFiles.ts'
import { makeStoreDir } from '../storeModes.ts'
import { size } from '../units.ts'
import { lookupTarget, targetNames } from '../workflow/target.ts'
import { WorkerJobContext } from '../worker/jobContext.ts'
import { loadWorkflowModule } from './loadModule.ts'
import { printable } from '../printable.ts'

// `jobtree debug-job`: one job of a run, run again in this process, in the
// foreground, with the input its last attempt got, against the workflow's
// current code. It writes nothing to the store: its files, temp dir, exports
// and a copy of the run's global dir go to a scratch directory. What it would
// have added and returned is printed, not recorded.

export interface DebugJobFlags {
  job: number
  /** Wait for a debugger before the job runs. */
  inspect?: boolean | string
  keep?: boolean
}

/** A run's global dir bigger than this is not copied: the job gets an empty one. */
const GLOBAL_COPY_LIMIT = 1024 ** 3

export async function debugJobCommand(dir: string, flags: DebugJobFlags): Promise<number> {
  const source = await EventSource.open(dir)
  let job: RecordedJob
  try {
    job = await recordedJob(source, flags.job)
  } finally {
    await source.close()
  }
  const { paths } = source
  const out = (line: string) => process.stderr.write(`${printable(line, 'block')}\n`)
  const attempt = Math.max(1, job.attempt)
  out(`debug-job: job ${job.jobId} (${jobName(job.spec)}), as attempt ${attempt} got it (${job.phase} in the log); nothing is written to the store`)
  if (job.spec.work.kind === 'target') out(`  input: ${inputSummary(job.spec, 400)}`)

  const scratch = mkdtempSync(join(tmpdir(), `jobtree-debug-${job.jobId}-`))
  try {
    const globalDir = join(scratch, 'global')
    copyGlobal(paths.global, globalDir, out)
    if (job.spec.work.kind === 'command') return await runCommandJob(job.spec.work.command, scratch, out)
    const { target: name, input } = job.spec.work
    await loadWorkflowModule(job.module)
    const target = lookupTarget(name)
    if (target === undefined) throw new JobtreeError('UNKNOWN_TARGET', `target ${name} is not in ${job.module} any more (known: ${targetNames().join(', ')})`)
    const files = new ScratchFileStore(paths.files, scratch, job.runId, job.jobId, attempt)
    const messages: string[] = []
    const temp = join(scratch, 'temp')
    const tempDir = () => {
      makeStoreDir(temp)
      return temp
    }
    const ctx = new WorkerJobContext(job.jobId, attempt, tempDir, globalDir, messages, files)
    if (flags.inspect !== undefined && flags.inspect !== false) waitForDebugger(flags.inspect, out)
    let value: unknown
    try {
      // Paused here when a debugger is attached: step into the target.
      // biome-ignore lint/suspicious/noDebugger: --inspect asks to stop right before the job runs
      debugger
      value = await target.fn(ctx, input)
    } catch (err) {
      for (const m of messages) out(`  message: ${m}`)
      out(`debug-job: job ${job.jobId} (${name}) threw: ${jobStack(err)}`)
      return 1
    }
    for (const m of messages) out(`  message: ${m}`)
    out(`debug-job: job ${job.jobId} (${name}) succeeded`)
    for (const [i, s] of ctx.successors.entries())
      out(`  would add ${s.relation === 'child' ? 'child' : 'follow-on'} ${i}: ${jobName(s.spec)} ${inputSummary(s.spec)}`)
    const sealed = files.sealed()
    for (const f of sealed?.written ?? []) out(`  would write file ${f.n}: ${f.name || '(no name)'}, ${size(f.size)}`)
    for (const id of sealed?.deleted ?? []) out(`  would delete file ${id}`)
    for (const e of files.exports) out(`  export to ${e.asked} went to ${e.path} instead${flags.keep === true ? '' : ' (removed at the end: --keep keeps it)'}`)
    // The value on stdout, as `run` prints a root's: a script can read it.
    if (value !== undefined) process.stdout.write(`${toJson(value)}\n`)
    return 0
  } finally {
    if (flags.keep === true) out(`debug-job: kept its scratch directory ${scratch}`)
    else rmSync(scratch, { recursive: true, force: true })
  }
}

/** The error's stack down to the target's own frames: jobtree's, which called it, say nothing about the job. */
function jobStack(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const lines = (err.stack ?? err.message).split('\n')
  const ours = lines.findIndex((l) => l.includes('debugJobCommand'))
  return (ours === -1 ? lines : lines.slice(0, ours)).join('\n')
}

function copyGlobal(from: string, to: string, out: (line: string) => void): void {
  const bytes = treeSize(from)
  if (bytes > GLOBAL_COPY_LIMIT) {
    makeStoreDir(to)
    out(`  the run's global dir holds ${size(bytes)}, too much to copy: the job gets an empty one`)
    return
  }
  if (bytes < 0) makeStoreDir(to)
  else cpSync(from, to, { recursive: true })
}

/** Bytes under `dir` (-1: no such dir). */
function treeSize(dir: string): number {
  let entries: string[]
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  } catch {
    return -1
  }
  let total = 0
  for (const e of entries) {
    const st = statSync(join(dir, e), { throwIfNoEntry: false })
    if (st?.isFile()) total += st.size
  }
  return total
}

function waitForDebugger(inspect: boolean | string, out: (line: string) => void): void {
  const [host, port] = typeof inspect === 'string' && inspect.includes(':') ? inspect.split(':') : ['127.0.0.1', typeof inspect === 'string' ? inspect : '9229']
  inspector.open(Number(port), host, false)
  const url = inspector.url() ?? `ws://${host}:${port}`
  out(`debug-job: waiting for a debugger at ${url} (chrome://inspect, or: node inspect ${new URL(url).host})`)
  inspector.waitForDebugger()
}

/** A command job, in the foreground: its output goes straight to the terminal. */
function runCommandJob(command: string | string[], scratch: string, out: (line: string) => void): Promise<number> {
  const [file, ...args] = typeof command === 'string' ? ['/bin/sh', '-c', command] : command
  const temp = join(scratch, 'temp')
  makeStoreDir(temp)
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['inherit', 'inherit', 'inherit'], env: { ...process.env, TMPDIR: temp } })
    child.on('error', (err) => {
      out(`debug-job: cannot start ${file}: ${err.message}`)
      resolve(1)
    })
    child.on('close', (code, signal) => {
      out(`debug-job: the command ${signal === null ? `exited with code ${code}` : `was killed by ${signal}`}`)
      resolve(code ?? 1)
    })
  })
}
