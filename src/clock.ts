import { readFileSync } from 'node:fs'

// The one place the leader reads time. The wall clock can jump (an NTP step,
// an administrator's `date -s`); the monotonic clock cannot. Durations the
// leader judges (time limits, backoffs) and the times it records are taken on
// the monotonic clock, anchored to the wall clock once per leader: within a
// leader's life a wall-clock step moves no recorded time, and recorded times
// never go back.

export interface Clock {
  /** Milliseconds since the epoch, as the system clock says now: it may jump either way. */
  wall(): number
  /** Milliseconds from an arbitrary origin, never going back, unaffected by steps of the wall clock. */
  mono(): number
}

const systemClock: Clock = { wall: () => Date.now(), mono: () => performance.now() }

/**
 * Tests step the wall clock by writing a number of milliseconds to this file:
 * the wall clock then reads that much ahead (or behind). Nothing else reads it.
 */
export const TEST_CLOCK_OFFSET_ENV = 'JOBTREE_TEST_CLOCK_OFFSET_FILE'

/** A system clock whose wall time is offset by what the file says (0 while it is missing or unreadable). */
function steppedClock(file: string): Clock {
  const offset = (): number => {
    try {
      const ms = Number(readFileSync(file, 'utf8').trim())
      return Number.isFinite(ms) ? ms : 0
    } catch {
      return 0
    }
  }
  return { wall: () => Date.now() + offset(), mono: systemClock.mono }
}

const offsetFile = process.env[TEST_CLOCK_OFFSET_ENV]

/** The clock of this process: the system's, unless a test steps it. */
export const clock: Clock = offsetFile === undefined || offsetFile === '' ? systemClock : steppedClock(offsetFile)

/**
 * A leader's time for what it records and decides (ms since the epoch): the
 * wall time when it starts, or the newest time already recorded if the wall
 * clock is behind that, advanced by the monotonic clock from then on.
 */
export function recordClock(source: Clock, notBefore: number): () => number {
  const anchor = Math.max(source.wall(), notBefore)
  const origin = source.mono()
  return () => Math.round(anchor + (source.mono() - origin))
}
