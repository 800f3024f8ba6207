// Running a workflow in this process for the audit tests, and digests of states.
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { JobEvent, Recorded } from '../../src/events/catalogue.ts'
import { decodeEvent, encodeEvent } from '../../src/events/codec.ts'
import { EventLog } from '../../src/store/log.ts'
import { silentLogger } from '../../src/logger.ts'
import { runWorkflow, type RunOutcome } from '../../src/leader/runWorkflow.ts'
import type { JobTreeState } from '../../src/decider/jobTreeState.ts'
import { encodeState } from '../../src/decider/stateCodec.ts'
import '../fixtures/auditWorkflow.ts'

export const AUDIT_MODULE = fileURLToPath(new URL('../fixtures/auditWorkflow.ts', import.meta.url))

export function stateDigest(state: JobTreeState): string {
  return createHash('sha256').update(encodeState(state)).digest('hex')
}

export interface RecordedRun {
  outcome: RunOutcome
  /** The leader's state after each committed batch, by the sequence number of the batch's last event. */
  digests: Map<number, string>
}

/** Runs `target` on a fresh store in `dir`, recording the leader's state after every batch. */
export async function recordedRun(dir: string, target: string, input: unknown, opts: { snapshotEvery?: number; maxCores?: number } = {}): Promise<RecordedRun> {
  const digests = new Map<number, string>()
  const outcome = await runWorkflow({
    module: AUDIT_MODULE,
    target,
    input,
    store: join(dir, 'store'),
    restart: false,
    config: { maxCores: opts.maxCores ?? 2, retryCount: 1 },
    logger: silentLogger,
    tickMs: 20,
    snapshotEvery: opts.snapshotEvery,
    onCommit: (state, _events, seq) => {
      digests.set(seq, stateDigest(state))
    },
  })
  return { outcome, digests }
}

/**
 * Copies the store at `from` to `to` event by event, as stored, except that
 * `alter` may replace an event (it gets the decoded event and returns it or
 * another one): a log edited behind the engine's back.
 */
export async function copyStore(from: string, to: string, alter: (r: Recorded) => JobEvent = (r) => r.event): Promise<void> {
  mkdirSync(to, { recursive: true })
  copyFileSync(join(from, 'jobtree.json'), join(to, 'jobtree.json'))
  const source = await EventLog.open(join(from, 'events'), false)
  const target = await EventLog.open(join(to, 'events'), true)
  try {
    const values: Uint8Array[] = []
    for await (const raw of source.readRaw()) {
      const event = decodeEvent(raw.bytes)
      const altered = alter({ seq: raw.seq, event })
      values.push(altered === event ? raw.bytes : encodeEvent(altered).slice())
    }
    await target.appendEncoded(values)
  } finally {
    await source.close()
    await target.close()
  }
}
