import type { JobEvent } from './catalogue.ts'
import { EVENT_TYPES } from './catalogue.ts'

// Reads any stored shape of an event and returns today's shape. Version 1 is
// the only version so far; when an event's shape changes, add a case here that
// lifts the old record, and keep the old fixture test reading it.

const KNOWN = new Set<string>(EVENT_TYPES)

export class UnreadableEvent extends Error {}

export function upcast(raw: unknown): JobEvent {
  if (typeof raw !== 'object' || raw === null) throw new UnreadableEvent('event is not a record')
  const rec = raw as { type?: unknown; v?: unknown }
  if (typeof rec.type !== 'string' || !KNOWN.has(rec.type)) {
    throw new UnreadableEvent(`unknown event type ${JSON.stringify(rec.type)}`)
  }
  if (rec.v !== 1) throw new UnreadableEvent(`${rec.type} has unsupported version ${JSON.stringify(rec.v)}`)
  return raw as JobEvent
}
