import type { Recorded } from '../events/catalogue.ts'
import { JobtreeError } from '../errors.ts'
import type { EventSource } from '../audit/eventSource.ts'
import { foldEvents, type FoldRange } from '../audit/fold.ts'
import { emptyAudit, evolveAudit, type AuditState } from '../audit/auditState.ts'
import { describeEvent } from '../audit/describeEvent.ts'
import { duration, isoTime } from '../units.ts'

// `jobtree replay --step`: walk the log one event at a time in a terminal.
// The state after any event is the nearest checkpoint (kept every 256 events
// as they are first passed) plus the events after it, so stepping back costs
// as little as stepping forward. Events are read from the store in chunks.

const CHECKPOINT = 256
const CHUNK = 256
const CONTEXT = 6

const HELP = '[n]ext/→/space  [p]rev/←  [j]ump to event  [g] first  [G] last  [q]uit'

export async function stepCommand(source: EventSource, range: FoldRange, last: number): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    throw new JobtreeError('BAD_OPTION', '--step needs a terminal (use --to or --json to read the log from a script)')
  if (last === 0) throw new JobtreeError('BAD_OPTION', 'the log is empty: there is nothing to step through')
  const walker = new Walker(source, last)
  const start = range.to ?? (range.stopBefore ? (await foldEvents(source, emptyAudit, evolveAudit, range)).seq : 1)
  let position = Math.max(1, start)
  let jumping: string | undefined
  const draw = async () => {
    process.stdout.write(await walker.screen(position, jumping))
  }
  await draw()
  process.stdin.setRawMode(true)
  process.stdin.resume()
  try {
    await new Promise<void>((resolve, reject) => {
      let queue = Promise.resolve()
      const press = (key: string): boolean => {
        if (jumping !== undefined) {
          if (/^\d$/.test(key)) jumping += key
          else if (key === '\x7f' || key === '\b') jumping = jumping.slice(0, -1)
          else if (key === '\r' || key === '\n') {
            if (jumping !== '') position = Math.min(last, Math.max(1, Number(jumping)))
            jumping = undefined
          } else if (key === '\x1b' || key === 'q' || key === '\x03') jumping = undefined
          return true
        }
        if (key === 'q' || key === '\x03' || key === '\x04') return false
        if (key === 'n' || key === ' ' || key === '\r' || key === '\x1b[C') position = Math.min(last, position + 1)
        else if (key === 'p' || key === '\x1b[D') position = Math.max(1, position - 1)
        else if (key === 'g') position = 1
        else if (key === 'G') position = last
        else if (key === 'j') jumping = ''
        return true
      }
      process.stdin.on('data', (data: Buffer) => {
        queue = queue
          .then(async () => {
            // One read may hold several keys (typed ahead, or pasted); an arrow is one escape sequence.
            for (const key of data.toString('utf8').match(/\x1b\[[0-9;]*[A-Za-z~]|[\s\S]/g) ?? []) {
              if (!press(key)) return resolve()
            }
            await draw()
          })
          .catch(reject)
      })
    })
  } finally {
    process.stdin.setRawMode(false)
    process.stdin.pause()
  }
  process.stdout.write('\n')
  return 0
}

class Walker {
  private readonly checkpoints: AuditState[] = [emptyAudit]
  private readonly chunks = new Map<number, Recorded[]>()

  constructor(
    private readonly source: EventSource,
    private readonly last: number,
  ) {}

  async screen(position: number, jumping: string | undefined): Promise<string> {
    const state = await this.stateAt(position)
    const current = await this.event(position)
    const t = state.timeline
    const name = (id: number) => t.jobs.get(id)?.name ?? '?'
    const c = state.tree.counts
    const lines = [
      `event ${position} of ${this.last}   ${isoTime(state.at)}   +${duration(state.at - t.firstAt)} into the run`,
      '',
      `${current.event.type}: ${describeEvent(current.event, name)}`,
      '',
      `jobs: ${c.total} created: ${c.succeeded} succeeded, ${c.issued} issued, ${c.ready} ready, ${c.waiting} waiting, ${c.failed} failed`,
    ]
    if ('jobId' in current.event) {
      const id = current.event.jobId
      const live = state.tree.jobs.get(id)
      const timeline = t.jobs.get(id)
      lines.push(
        `job ${id} (${name(id)}): ${live?.phase ?? 'done'}, ${timeline?.attempts.length ?? 0} attempt(s), ${timeline?.failures ?? 0} failed${ancestors(state, id)}`,
      )
    }
    lines.push('', 'around it:')
    for (let seq = Math.max(1, position - CONTEXT); seq <= Math.min(this.last, position + 2); seq++) {
      const r = await this.event(seq)
      lines.push(
        `${seq === position ? '>' : ' '} ${String(seq).padStart(String(this.last).length)}  ${r.event.type.padEnd(20)} ${describeEvent(r.event, name)}`,
      )
    }
    lines.push('', jumping === undefined ? HELP : `jump to event: ${jumping}`)
    // Clear the screen and draw from its top; long lines are cut to the terminal's width.
    const width = process.stdout.columns || 120
    return '\x1b[2J\x1b[H' + lines.map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l)).join('\r\n') + '\r\n'
  }

  private async stateAt(position: number): Promise<AuditState> {
    const wanted = Math.floor(position / CHECKPOINT)
    while (this.checkpoints.length <= wanted) {
      const from = this.checkpoints[this.checkpoints.length - 1]
      this.checkpoints.push(await this.fold(from, this.checkpoints.length * CHECKPOINT))
    }
    return this.fold(this.checkpoints[wanted], position)
  }

  private async fold(from: AuditState, to: number): Promise<AuditState> {
    let state = from
    for (let seq = from.seq + 1; seq <= to; seq++) state = evolveAudit(state, await this.event(seq))
    return state
  }

  private async event(seq: number): Promise<Recorded> {
    const chunk = Math.floor((seq - 1) / CHUNK)
    let events = this.chunks.get(chunk)
    if (events === undefined) {
      events = []
      for await (const r of this.source.events(chunk * CHUNK + 1, (chunk + 1) * CHUNK)) events.push(r)
      if (this.chunks.size > 64) this.chunks.delete(this.chunks.keys().next().value as number)
      this.chunks.set(chunk, events)
    }
    const r = events[seq - 1 - chunk * CHUNK]
    if (r === undefined) throw new JobtreeError('LOG_CORRUPT', `event ${seq} is missing from ${this.source.paths.events}`, { seq })
    return r
  }
}

function ancestors(state: AuditState, id: number): string {
  const names: string[] = []
  for (let job = state.timeline.jobs.get(id); job !== undefined && job.parent !== -1 && names.length < 4; job = state.timeline.jobs.get(job.parent)) {
    names.push(`${job.relation === 'followOn' ? 'follow-on' : 'child'} of ${job.parent} (${state.timeline.jobs.get(job.parent)?.name ?? '?'})`)
  }
  return names.length === 0 ? '' : `; ${names.join(', ')}`
}
