// The shapes on Toil: bench/peers/toil_shapes.py, run by the Python that the
// `toil` command itself runs under, so that its `toil` package is importable
// (the `python3` first on PATH may be another one, without it).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { PeerRun } from './figures.ts'

const SCRIPT = fileURLToPath(new URL('toil_shapes.py', import.meta.url))

/** The interpreter named on the first line of the `toil` script, split as the kernel would (`#!/usr/bin/env python3` too). */
function interpreter(toil: string): string[] {
  const first = readFileSync(toil, 'utf8').split('\n', 1)[0]
  if (!first.startsWith('#!')) throw new Error(`${toil} does not start with #!: cannot tell which Python has Toil`)
  return first.slice(2).trim().split(/\s+/)
}

/** Toil's Python with `args`; its last line of output. */
async function python(toil: string, args: string[]): Promise<string> {
  const [command, ...commandArgs] = interpreter(toil)
  const child = spawn(command, [...commandArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (c) => resolve(c))
  })
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(-2000)}`)
  return stdout.trim().split('\n').at(-1) ?? ''
}

export function toilVersion(toil: string): Promise<string> {
  return python(toil, ['-c', 'from toil.version import baseVersion; print(baseVersion)'])
}

/** Runs one shape; `args` as toil_shapes.py takes them (`wide 10 10`, `chain 100 --no-chaining`). */
export async function runToil(toil: string, args: string[]): Promise<PeerRun> {
  return JSON.parse(await python(toil, [SCRIPT, ...args])) as PeerRun
}
