import { InvalidArgumentError } from 'commander'
import { EVENT_TYPES, type EventType } from '../events/catalogue.ts'

// Option parsers of the audit commands (replay, events, stats).

/** An event's sequence number (1 or more). */
export function seqNumber(value: string): number {
  return atLeast(value, 1, 'an event number (1 or more)')
}

/** A job id (0 or more). */
export function jobId(value: string): number {
  return atLeast(value, 0, 'a job id (0 or more)')
}

/** How deep a tree to print (0: the root only). */
export function depth(value: string): number {
  return atLeast(value, 0, 'a depth (0 or more)')
}

function atLeast(value: string, min: number, what: string): number {
  const n = Number(value)
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected ${what}`)
  return n
}

/** Event types, comma-separated; the option may be given more than once. */
export function eventTypes(value: string, previous: EventType[] = []): EventType[] {
  const known = new Set<string>(EVENT_TYPES)
  const types = value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
  const unknown = types.filter((t) => !known.has(t))
  if (types.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown event type ${JSON.stringify(unknown[0] ?? value)} (known: ${EVENT_TYPES.join(', ')})`)
  }
  return [...previous, ...(types as EventType[])]
}

/**
 * A moment of the run: an ISO 8601 time, milliseconds since 1970, or `+` and
 * a duration from the run's first event (`+90s`, `+2m`, `+1.5h`, `+250ms`).
 */
export type Moment = { absolute: number } | { afterStart: number }

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

export function moment(value: string): Moment {
  const relative = /^\+\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim())
  if (relative !== null) return { afterStart: Number(relative[1]) * UNITS[relative[2] ?? 's'] }
  if (/^\d+$/.test(value.trim())) return { absolute: Number(value) }
  const parsed = Date.parse(value)
  if (Number.isNaN(parsed))
    throw new InvalidArgumentError('expected a time: ISO 8601 (2025-01-31T12:00:00Z), milliseconds since 1970, or +DURATION from the start (+90s, +2m)')
  return { absolute: parsed }
}

/** `--export ID DEST`: the two words, and no more. */
export function exportArgs(value: string, previous: string[] = []): string[] {
  const words = [...previous, value]
  if (words.length > 2) throw new InvalidArgumentError('takes a file id and a destination: --export ID DEST')
  return words
}
