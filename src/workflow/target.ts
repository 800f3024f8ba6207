import { fileURLToPath } from 'node:url'
import { JobtreeError } from '../errors.ts'
import type { JobOptions } from './options.ts'
import type { Target, TargetFn } from './context.ts'

// Targets: job functions registered by name when their workflow module is
// imported. The leader and every worker import the same module, so a name in
// the log always finds the same function.

// One registry per process, kept on the global object rather than in this
// module: a workflow may import another copy of jobtree than the engine
// runs on (a CommonJS module's require, a nested or linked install, the
// checkout's sources beside its build), and its targets must still be found.
// The key is versioned, so that a copy with another shape of Target would
// use a registry of its own instead of misreading this one.
const REGISTRY = Symbol.for('jobtree.targets.v1')
const holder = globalThis as typeof globalThis & { [REGISTRY]?: Map<string, Target> }
holder[REGISTRY] ??= new Map<string, Target>()
const registry = holder[REGISTRY]

export function target<I = unknown, O = unknown>(name: string, fn: TargetFn<I, O>): Target<I, O>
export function target<I = unknown, O = unknown>(name: string, options: JobOptions, fn: TargetFn<I, O>): Target<I, O>
export function target<I, O>(name: string, a: JobOptions | TargetFn<I, O>, b?: TargetFn<I, O>): Target<I, O> {
  const fn = typeof a === 'function' ? a : b
  const options = typeof a === 'function' ? {} : a
  if (typeof name !== 'string' || name === '') throw new JobtreeError('BAD_INPUT', 'a target needs a non-empty name')
  if (typeof fn !== 'function') throw new JobtreeError('BAD_INPUT', `target ${JSON.stringify(name)} needs a function`)
  const existing = registry.get(name)
  const module = callerFile()
  if (existing !== undefined) {
    throw new JobtreeError('BAD_INPUT', `target ${JSON.stringify(name)} is registered twice (${existing.module ?? '?'} and ${module ?? '?'})`, { name })
  }
  const t: Target<I, O> = Object.freeze({ name, options, fn, module })
  registry.set(name, t as Target)
  return t
}

export function lookupTarget(name: string): Target | undefined {
  return registry.get(name)
}

export function targetNames(): string[] {
  return [...registry.keys()].sort()
}

/** The source file of the code that called `target()`. */
function callerFile(): string | undefined {
  const here = fileURLToPath(import.meta.url)
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?\s*$/.exec(line)
    if (m === null) continue
    const file = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1]
    if (file !== here) return file
  }
  return undefined
}
