import type { JobTreeState } from '../decider/jobTreeState.ts'
import type { HeldAttempt } from '../decider/inputs.ts'
import type { RunTally } from '../audit/runTally.ts'
import { progressBlock, progressText, type ProgressView } from './progressView.ts'

// `jobtree run`'s progress while a run goes on. On a terminal, one block
// redrawn in place (a bar, jobs/s, a line a target), with the leader's
// messages printed above it; otherwise a plain line every few seconds, so
// that logs and CI output stay readable.

export interface Progress {
  /** The leader is about to run: what this run's events are tallied into, and what its batch system holds. */
  start(tally: RunTally, held: () => readonly HeldAttempt[]): void
  /** After each committed batch (its events already tallied). */
  update(state: JobTreeState): void
  /** Takes the block off a terminal so a message can be printed; it comes back at the next redraw. */
  clear(): void
  /** The last picture, left on the screen; `finished` when the run ended. */
  done(state: JobTreeState, finished: boolean): void
}

/** How often a terminal's block is redrawn at most, and redrawn anyway (elapsed time and jobs/s move on). */
const TTY_EVERY_MS = 250
const TTY_TICK_MS = 1000
const PLAIN_EVERY_MS = 5000
/** jobs/s is measured over this window. */
const RATE_WINDOW_MS = 10_000

export function progressDisplay(stream: NodeJS.WriteStream, enabled: boolean): Progress {
  if (!enabled) return { start() {}, update() {}, clear() {}, done() {} }
  const tty = stream.isTTY === true
  const unicode = /utf-?8/i.test(process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '')
  let tally: RunTally | undefined
  let held: (() => readonly HeldAttempt[]) | undefined
  let state: JobTreeState | undefined
  let last = 0
  let lastText = ''
  /** Lines of the block on the screen now (0: none). */
  let shown = 0
  let ticker: NodeJS.Timeout | undefined
  const readings: Array<{ at: number; done: number }> = []

  const view = (s: JobTreeState, t: RunTally, finished: boolean): ProgressView => {
    const now = Date.now()
    readings.push({ at: now, done: s.counts.succeeded })
    while (readings.length > 2 && now - readings[1].at > RATE_WINDOW_MS) readings.shift()
    const first = readings[0]
    const rate = now - first.at >= 1000 ? ((s.counts.succeeded - first.done) * 1000) / (now - first.at) : undefined
    return { counts: s.counts, running: running(t, held), tally: t, elapsedMs: s.startedAt > 0 ? now - s.startedAt : 0, rate, finished }
  }
  const erase = () => (shown === 0 ? '' : `\r${shown > 1 ? `\x1b[${shown - 1}A` : ''}\x1b[J`)
  /** `final`: the picture left behind, after which nothing is redrawn. */
  const draw = (finished: boolean, final: boolean) => {
    if (state === undefined || tally === undefined) return
    const v = view(state, tally, finished)
    if (tty) {
      const lines = progressBlock(v, stream.columns > 0 ? stream.columns - 1 : 79, unicode)
      // One write: the block never shows half redrawn.
      stream.write(erase() + lines.join('\n') + (final ? '\n' : ''))
      shown = final ? 0 : lines.length
      return
    }
    const text = progressText(v)
    if (text !== lastText || final) stream.write(`${text}\n`)
    lastText = text
  }
  return {
    start(t, h) {
      tally = t
      held = h
      if (tty) {
        ticker = setInterval(() => draw(false, false), TTY_TICK_MS)
        ticker.unref()
      }
    },
    update(s) {
      state = s
      const now = Date.now()
      if (now - last < (tty ? TTY_EVERY_MS : PLAIN_EVERY_MS)) return
      last = now
      draw(false, false)
    },
    clear() {
      if (shown === 0) return
      stream.write(erase())
      shown = 0
    },
    done(s, finished) {
      clearInterval(ticker)
      state = s
      // Its batch system is shut down: nothing runs any more.
      held = undefined
      draw(finished, true)
    },
  }
}

/** Attempts running now (not queued for resources), by target. */
function running(tally: RunTally, held: (() => readonly HeldAttempt[]) | undefined): Map<string, number> | undefined {
  if (held === undefined) return undefined
  const byTarget = new Map<string, number>()
  for (const h of held()) {
    if (h.ranMs === null) continue
    const name = tally.targetOf(h.jobId) ?? '?'
    byTarget.set(name, (byTarget.get(name) ?? 0) + 1)
  }
  return byTarget
}
