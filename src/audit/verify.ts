import type { JobEvent, JobsRewound, Recorded } from '../events/catalogue.ts'
import { encodeEvent } from '../events/codec.ts'
import { JobtreeError } from '../errors.ts'
import { evolve, ProjectionError } from '../decider/jobTree.ts'
import { initialState, type JobTreeState } from '../decider/jobTreeState.ts'
import { decide, DecisionError } from '../decider/decide.ts'
import type { EventSource } from './eventSource.ts'
import type { FoldRange } from './fold.ts'
import type { Input } from '../decider/inputs.ts'
import { candidateInputs } from './recordedInputs.ts'
import { readRunHistory } from './runHistory.ts'

// The determinism check: walk the log, rebuild the input behind each run of
// events, feed it to today's pure `decide` against the state replayed so far,
// and require exactly the recorded events back, byte for byte. The first
// event where they part is reported; later ones would only follow from it.

export interface Divergence {
  seq: number
  /** The recorded event there (null: the log ends where decide goes on). */
  recorded: JobEvent | null
  /** What decide gives there (null: decide gives no more, or nothing at all). */
  decided: JobEvent | null
  /** The rebuilt input, when there was one. */
  input: Input | null
  why: string
}

export interface VerifyResult {
  /** Events checked, and the inputs rebuilt and decided on. */
  events: number
  inputs: number
  divergence: Divergence | null
}

export async function verifyLog(source: EventSource, range: FoldRange): Promise<VerifyResult> {
  const log = new Lookahead(source.events(range.from ?? 1, range.to ?? Infinity), range.stopBefore)
  let state: JobTreeState = initialState
  let events = 0
  let inputs = 0
  for (let head = await log.peek(0); head !== undefined; head = await log.peek(0)) {
    const candidates =
      head.event.type === 'JobsRewound'
        ? [await rewindInput(source, head.seq, head.event)]
        : await candidateInputs(state, async (i) => (await log.peek(i))?.event)
    let accepted: JobEvent[] | undefined
    let first: Divergence | undefined
    for (const input of candidates) {
      const outcome = await compare(state, input, log)
      if (outcome.divergence === undefined) {
        accepted = outcome.decided
        break
      }
      first ??= outcome.divergence
    }
    if (accepted === undefined) {
      const divergence = first ?? {
        seq: head.seq,
        recorded: head.event,
        decided: null,
        input: null,
        why: `no input leads to a ${head.event.type} event here: it is not one of decide's decisions at this point`,
      }
      return { events, inputs, divergence }
    }
    for (const event of accepted) {
      const r = (await log.take()) as Recorded
      try {
        state = evolve(state, event)
      } catch (err) {
        if (!(err instanceof ProjectionError)) throw err
        throw new JobtreeError('LOG_CORRUPT', `event ${r.seq} (${r.event.type}) contradicts the log before it: ${err.message}`, { seq: r.seq })
      }
    }
    events += accepted.length
    inputs += 1
  }
  return { events, inputs, divergence: null }
}

/** A rewind's input: what was asked, and the run's history before it (read again: rewinds are rare, and a log without one pays nothing). */
async function rewindInput(source: EventSource, seq: number, e: JobsRewound): Promise<Input> {
  return { type: 'Rewind', now: e.at, asked: e.asked, history: await readRunHistory(source, seq - 1) }
}

async function compare(state: JobTreeState, input: Input, log: Lookahead): Promise<{ decided: JobEvent[]; divergence?: Divergence }> {
  let decided: JobEvent[]
  const head = (await log.peek(0)) as Recorded
  try {
    decided = decide(state, input)
  } catch (err) {
    if (!(err instanceof DecisionError)) throw err
    return {
      decided: [],
      divergence: { seq: head.seq, recorded: head.event, decided: null, input, why: `decide refuses the input that led to it: ${err.message}` },
    }
  }
  if (decided.length === 0) {
    return { decided, divergence: { seq: head.seq, recorded: head.event, decided: null, input, why: 'decide gives no event for the input that led to it' } }
  }
  for (let i = 0; i < decided.length; i++) {
    const r = await log.peek(i)
    if (r === undefined) {
      return {
        decided,
        divergence: { seq: head.seq + i, recorded: null, decided: decided[i], input, why: `the log ends where decide gives ${decided[i].type}` },
      }
    }
    if (Buffer.compare(encodeEvent(r.event).slice(), encodeEvent(decided[i])) !== 0) {
      return {
        decided,
        divergence: {
          seq: r.seq,
          recorded: r.event,
          decided: decided[i],
          input,
          why: `the recorded ${r.event.type} is not what decide gives (${decided[i].type})`,
        },
      }
    }
  }
  return { decided }
}

/** An async stream of events with a window to look ahead into. */
class Lookahead {
  private readonly buffer: Recorded[] = []
  private done = false

  constructor(
    private readonly source: AsyncIterator<Recorded>,
    private readonly stopBefore?: (r: Recorded) => boolean,
  ) {}

  async peek(i: number): Promise<Recorded | undefined> {
    while (this.buffer.length <= i && !this.done) {
      const next = await this.source.next()
      if (next.done || this.stopBefore?.(next.value)) {
        this.done = true
        await this.source.return?.(undefined)
      } else {
        this.buffer.push(next.value)
      }
    }
    return this.buffer[i]
  }

  async take(): Promise<Recorded | undefined> {
    await this.peek(0)
    return this.buffer.shift()
  }
}
