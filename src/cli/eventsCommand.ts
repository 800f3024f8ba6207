import type { EventType, Recorded } from '../events/catalogue.ts'
import { concernsJob } from '../events/jobsOf.ts'
import { EventSource } from '../audit/eventSource.ts'
import { followEvents } from '../socket/follow.ts'
import { storePaths } from '../store/store.ts'
import { toJson } from '../events/json.ts'

export interface EventsFlags {
  from?: number
  to?: number
  type?: EventType[]
  job?: number
  follow?: boolean
}

/** `jobtree events`: the log as JSON lines, one event a line with its sequence number first. */
export async function eventsCommand(dir: string, flags: EventsFlags): Promise<number> {
  const from = flags.from ?? 1
  const to = flags.to ?? Infinity
  const types = flags.type === undefined ? undefined : new Set(flags.type)
  // A reader that stops reading (`| head`) ends the command, as it would `cat`.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(0)
  })
  /** Writes the event if it passes the filters; false when stdout wants a pause. */
  const write = (r: Recorded): boolean => {
    if (types !== undefined && !types.has(r.event.type)) return true
    if (flags.job !== undefined && !concernsJob(r.event, flags.job)) return true
    return process.stdout.write(toJson({ seq: r.seq, ...r.event }) + '\n')
  }
  if (flags.follow) {
    await followEvents(storePaths(dir), from, to, write)
    return 0
  }
  const source = await EventSource.open(dir)
  try {
    for await (const r of source.events(from, to)) {
      if (!write(r)) await new Promise((resolve) => process.stdout.once('drain', resolve))
    }
  } finally {
    await source.close()
  }
  return 0
}
