// Running the real `jobtree` command in tests, and reading what it left.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { EventLog } from '../../src/store/log.ts'
import type { JobEvent } from '../../src/events/catalogue.ts'
import { encodeEvent } from '../../src/events/codec.ts'

export const repo = fileURLToPath(new URL('../..', import.meta.url))
export const bin = join(repo, 'bin', 'jobtree.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Starts `jobtree <args>` (with `env` added to the environment); the caller waits for it or kills it. */
export function startJobtree(args: string[], cwd = repo, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } })
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
}

export function jobtree(args: string[], cwd = repo): Promise<CliResult> {
  return finished(startJobtree(args, cwd))
}

export interface ScratchOptions {
  /** Leave the directory where it is, and name it in the test's diagnostics (to look at what a failed run left). */
  keep?: boolean
}

/**
 * A fresh temp directory, removed when the test `t` ends: by an after hook,
 * which runs once the test's body and subtests are done. node:test runs after
 * hooks in the order they were registered, so work that must come before the
 * removal (stopping a process, unmounting) goes in a finally of the body, or in
 * a t.after registered before this call.
 */
export function scratch(t: TestContext, prefix = 'jobtree-test-', options: ScratchOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => {
    if (options.keep === true) t.diagnostic(`kept ${dir}`)
    else {
      // A removal that fails must not stop the hooks registered after this one (a leader still to kill, say).
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
      } catch (err) {
        t.diagnostic(`could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
  })
  return dir
}

export async function readEvents(store: string): Promise<JobEvent[]> {
  const log = await EventLog.open(join(store, 'events'), false)
  try {
    const events: JobEvent[] = []
    for await (const { event } of log.read()) events.push(event)
    return events
  } finally {
    await log.close()
  }
}

/** A digest of the whole log, to show that something left it unchanged. */
export async function logDigest(store: string): Promise<string> {
  const hash = createHash('sha256')
  for (const event of await readEvents(store)) hash.update(encodeEvent(event))
  return hash.digest('hex')
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
