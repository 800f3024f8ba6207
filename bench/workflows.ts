// Workflows the benchmarks run: trivial jobs, so that what is measured is
// jobtree's own cost per job.
import { writeFileSync } from 'node:fs'
import { target } from '../src/index.ts'

export const leaf = target<null, void>('leaf', () => {})

/** root → `width` children → `fanout` grandchildren each. */
export const wide = target<{ width: number; fanout: number }, void>('wide', (ctx, { width, fanout }) => {
  for (let i = 0; i < width; i++) ctx.addChild(branch, fanout)
})

export const branch = target<number, void>('branch', (ctx, fanout) => {
  for (let i = 0; i < fanout; i++) ctx.addChild(leaf, null)
})

/** A chain of `n` follow-ons, each added by the one before. */
export const chain = target<number, void>('chain', (ctx, n) => {
  if (n > 1) ctx.addFollowOn(chain, n - 1)
})

/** `n` shell-command children running `true`. */
export const commands = target<number, void>('commands', (ctx, n) => {
  for (let i = 0; i < n; i++) ctx.addChildCommand(['true'])
})

/** `n` children added at once, all queued before any has run. */
export const fan = target<number, void>('fan', (ctx, n) => {
  for (let i = 0; i < n; i++) ctx.addChild(leaf, null)
})

export const numbered = target<{ i: number }, number>('numbered', (_ctx, { i }) => i)

/** `n` children added at once, each with an input of its own: a result far over the limit of one value. */
export const distinct = target<number, void>('distinct', (ctx, n) => {
  for (let i = 0; i < n; i++) ctx.addChild(numbered, { i })
})

/** One job that writes when it started (ms since the epoch) to `path`: a run's start-up, seen from its first job. */
export const stamp = target<string, void>('stamp', (_ctx, path) => {
  writeFileSync(path, String(Date.now()))
})
