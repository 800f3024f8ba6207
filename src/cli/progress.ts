import type { Counts } from '../decider/jobTreeState.ts'

// A progress line while a run goes on: redrawn in place on a terminal, a plain
// line every few seconds otherwise (logs and CI output stay readable).

export interface Progress {
  update(counts: Counts): void
  /** Clears the line on a terminal so a message can be printed. */
  clear(): void
  done(counts: Counts): void
}

export function progressLine(stream: NodeJS.WriteStream, enabled: boolean): Progress {
  const tty = stream.isTTY === true
  const every = tty ? 100 : 5000
  let last = 0
  let shown = false
  let lastText = ''
  const text = (c: Counts) => `jobs: ${c.succeeded} done, ${c.issued} issued, ${c.ready} ready, ${c.waiting} waiting, ${c.failed} failed`
  return {
    update(counts) {
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
    done(counts) {
      if (!enabled) return
      this.clear()
      stream.write(`${text(counts)}\n`)
    },
  }
}
