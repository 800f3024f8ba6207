// A run's fixed cost, as a user meets it in a first small run: from
// launching `jobtree run` to its first job starting, and to the command's
// exit for a run of one job; beside the launch of a bare `node`.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { median } from './stats.ts'
import { BIN, REPO, WORKFLOWS } from './scenarios.ts'

export interface StartUpFigures {
  /** Medians, ms. */
  firstJobMs: number
  exitMs: number
  nodeMs: number
}

function timed(args: string[]): Promise<number> {
  const started = Date.now()
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(Date.now() - started) : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.trim()}`)))),
  )
}

export async function startUpFigures(runs: number): Promise<StartUpFigures> {
  const first: number[] = []
  const exit: number[] = []
  const node: number[] = []
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'jobtree-bench-start-'))
    try {
      const stampFile = join(dir, 'stamp')
      const launched = Date.now()
      const args = [BIN, 'run', WORKFLOWS, '--target', 'stamp', '--input', JSON.stringify(stampFile), '--store', join(dir, 'store'), '--no-progress']
      exit.push(await timed(args))
      first.push(Number(readFileSync(stampFile, 'utf8')) - launched)
      node.push(await timed(['-e', '0']))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return { firstJobMs: median(first), exitMs: median(exit), nodeMs: median(node) }
}
