import type { JobEvent } from '../events/catalogue.ts'
import type { Counts } from '../decider/jobTreeState.ts'

// A progress line while a run goes on: redrawn in place on a terminal, a plain
// line every few seconds otherwise (logs and CI output stay readable).

export interface Progress {
  /** After each committed batch: the counts it left, and its events (failed attempts are counted from them). */
  update(counts: Counts, events: readonly JobEvent[]): void
  /** Clears the line on a terminal so a message can be printed. */
  clear(): void
  /** The last line; `finished` when the run ended (jobs still waiting then are blocked by a failure). */
  done(counts: Counts, finished: boolean): void
}

export function progressLine(stream: NodeJS.WriteStream, enabled: boolean): Progress {
  const tty = stream.isTTY === true
  const every = tty ? 100 : 5000
  let last = 0
  let shown = false
  let lastText = ''
  // Attempts that failed under this leader: a job retried 113 times is not '0 failed'.
  let failedAttempts = 0
  let retried = 0
  const text = (c: Counts, finished = false) =>
    `jobs: ${c.succeeded} done, ${c.issued} issued, ${c.ready} ready, ${c.waiting} ${finished ? 'blocked by a failure' : 'waiting'}, ${c.failed} failed` +
    (failedAttempts > 0 ? `; attempts: ${failedAttempts} failed, ${retried} retried` : '')
  return {
    update(counts, events) {
      for (const e of events) {
        if (e.type === 'JobFailed') failedAttempts += 1
        else if (e.type === 'JobRetried') retried += 1
      }
      if (!enabled) return
      const now = Date.now()
      if (now - last < every) return
      last = now
      const t = text(counts)
      if (tty) {
        stream.write(`\r\x1b[K${t}`)
        shown = true
      } else if (t !== lastText) {
        stream.write(`${t}\n`)
      }
      lastText = t
    },
    clear() {
      if (tty && shown) {
        stream.write('\r\x1b[K')
        shown = false
      }
    },
    done(counts, finished) {
      if (!enabled) return
      this.clear()
      stream.write(`${text(counts, finished && counts.waiting > 0)}\n`)
    },
  }
}
