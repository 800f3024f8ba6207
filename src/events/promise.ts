// Promise tokens (Toil's `rv()`): a placeholder for another job's return
// value, or a part of it, that travels inside a job's input and is replaced
// by the value before the job runs. A token made by a running job names its
// new successor by its position among the successors it added (`local`);
// the leader rewrites it to the job id when it creates the successors.

export const RV_KEY = '$jobtree:rv'

export type PathStep = string | number

export interface RvRef {
  /** The producing job's id (stored form). */
  job?: number
  /** The producer's position among the successors added by the same attempt. */
  local?: number
  path: PathStep[]
}

export interface RvToken {
  [RV_KEY]: RvRef
}

export function makeToken(ref: RvRef): RvToken {
  return { [RV_KEY]: ref }
}

export function isToken(value: unknown): value is RvToken {
  if (typeof value !== 'object' || value === null) return false
  const ref = (value as Record<string, unknown>)[RV_KEY]
  return typeof ref === 'object' && ref !== null && Array.isArray((ref as RvRef).path)
}

/** Returns `value` with every token replaced by `fn(token)`; shares untouched parts. */
export function mapTokens(value: unknown, fn: (ref: RvRef) => unknown): unknown {
  if (isToken(value)) return fn(value[RV_KEY])
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (const [i, item] of value.entries()) {
      const mapped = mapTokens(item, fn)
      if (mapped === item) continue
      out ??= value.slice()
      out[i] = mapped
    }
    return out ?? value
  }
  if (isPlainObject(value)) {
    let out: Record<string, unknown> | undefined
    for (const [k, item] of Object.entries(value)) {
      const mapped = mapTokens(item, fn)
      if (mapped === item) continue
      out ??= { ...value }
      out[k] = mapped
    }
    return out ?? value
  }
  return value
}

/** Calls `fn` for each token in `value`; stops early when `fn` returns true. */
export function someToken(value: unknown, fn: (ref: RvRef) => boolean): boolean {
  if (isToken(value)) return fn(value[RV_KEY])
  if (Array.isArray(value)) return value.some((item) => someToken(item, fn))
  if (isPlainObject(value)) return Object.values(value).some((item) => someToken(item, fn))
  return false
}

/** Whether `value` holds a promise token anywhere. */
export function hasToken(value: unknown): boolean {
  return someToken(value, () => true)
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

export class UnresolvedPromise extends Error {
  constructor(readonly producer: number) {
    super(`job ${producer} has not finished`)
  }
}

/** Follows `path` into `value`; a missing step yields undefined. */
export function followPath(value: unknown, path: readonly PathStep[]): unknown {
  let at = value
  for (const step of path) {
    if (at === null || at === undefined) return undefined
    if (at instanceof Map) at = at.get(step)
    else at = (at as Record<PathStep, unknown>)[step]
  }
  return at
}

/**
 * Replaces every token in `value` by the producer's value (following nested
 * tokens that a value may itself contain). `lookup` returns `{ value }` for a
 * finished producer and undefined for one that has not finished, in which
 * case this throws UnresolvedPromise naming it.
 *
 * A job that returned a successor's rv() has a token for its value, whose
 * producer may have returned one too: chains as long as the workflow's. So
 * the producers are resolved with a stack of their own, deepest first,
 * never by recursion through the chain; only the nesting of one value's
 * arrays and objects is walked recursively.
 */
export function resolveTokens(value: unknown, lookup: ValueLookup): unknown {
  if (!hasToken(value)) return value
  const resolved = new Map<number, unknown>()
  const pending = producersIn(value)
  const onStack = new Set<number>()
  while (pending.length > 0) {
    const job = pending[pending.length - 1]
    if (resolved.has(job)) {
      pending.pop()
      continue
    }
    const found = lookup(job)
    if (found === undefined) throw new UnresolvedPromise(job)
    const missing = producersIn(found.value).filter((producer) => !resolved.has(producer))
    if (missing.length === 0 || onStack.has(job)) {
      if (missing.length > 0) throw new Error(`promise tokens form a cycle through job ${job}`)
      resolved.set(job, substitute(found.value, resolved))
      pending.pop()
      onStack.delete(job)
    } else {
      onStack.add(job)
      pending.push(...missing)
    }
  }
  return substitute(value, resolved)
}

export type ValueLookup = (job: number) => { value: unknown } | undefined

/** The producers whose values the tokens in `value` name. */
function producersIn(value: unknown): number[] {
  const jobs: number[] = []
  someToken(value, (ref) => {
    if (ref.job === undefined) throw new Error('promise token without a job id')
    jobs.push(ref.job)
    return false
  })
  return jobs
}

/** `value` with each token replaced by the part of its producer's (already resolved) value it names. */
function substitute(value: unknown, resolved: ReadonlyMap<number, unknown>): unknown {
  return mapTokens(value, (ref) => followPath(resolved.get(ref.job as number), ref.path))
}
