// Starting `jobtree ui` in tests: the real command, its URL read from its one line on stdout.
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'
import { join } from 'node:path'
import { finished, repo, startJobtree, type CliResult } from './cli.ts'

export interface UiProcess {
  url: string
  base: string
  token: string
  child: ChildProcess
  /** SIGTERM, then what it printed and how it ended. */
  stop(): Promise<CliResult>
}

/** Runs `jobtree ui <store> [args]` until its URL is printed; stopped when `t` ends, if the test has not. */
export async function startUi(t: TestContext, store: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<UiProcess> {
  const child = startJobtree(['ui', store, ...args], undefined, env)
  const result = finished(child)
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('\n')) resolve(out.split('\n')[0])
    })
    child.on('close', () => result.then((r) => reject(new Error(`jobtree ui ended before printing its URL: ${r.stderr}`))))
  })
  const parsed = new URL(url)
  let stopped: Promise<CliResult> | undefined
  const stop = () => {
    if (stopped === undefined) {
      child.kill('SIGTERM')
      stopped = result
    }
    return stopped
  }
  t.after(stop)
  assert.equal(parsed.pathname, '/')
  return { url, base: parsed.origin, token: parsed.searchParams.get('token') ?? '', child, stop }
}

/** The fixture's fan (test/fixtures/uiTargets.ts): `n` leaves in `groups` groups, each sleeping `ms`, every `failEvery`-th failing. */
export interface FanInput {
  n: number
  groups: number
  ms: number
  failEvery: number
}

/** `jobtree run` of the fan into `store`, quiet, with `more` options. */
export function fanArgs(store: string, input: FanInput, more: string[] = []): string[] {
  return [
    'run',
    join(repo, 'test', 'fixtures', 'uiTargets.ts'),
    '--target',
    'fan',
    '--store',
    store,
    '--input',
    JSON.stringify(input),
    '--no-progress',
    '--log-level',
    'warn',
    ...more,
  ]
}
