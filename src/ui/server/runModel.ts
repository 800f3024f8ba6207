import { emptyAudit, evolveAudit, type AuditState } from '../../audit/auditState.ts'
import { describeEvent } from '../../audit/describeEvent.ts'
import { EventSource } from '../../audit/eventSource.ts'
import { foldEvents } from '../../audit/fold.ts'
import type { Recorded } from '../../events/catalogue.ts'
import { JobtreeError } from '../../errors.ts'
import type { StorePaths } from '../../store/store.ts'
import type { EventLine, LeaderState, RowsMessage, RunInfo } from '../protocol.ts'
import { allRows, rowOf, touchedBy } from './rows.ts'

// The run as the server knows it: the events folded once (AuditState), with
// the state of every CHECKPOINT-th event kept (cheap: the state's vectors
// share their structure), so that the tree at any earlier moment is a fold of
// at most CHECKPOINT events from the nearest one before it.

export const CHECKPOINT = 1000
/** Tries at reading a store whose leader is starting (holding the log, not yet answering), half a second apart. */
const LOAD_TRIES = 20
/** Further apart than this, a move from one position to another is sent as whole rows, not as the rows that changed. */
const MAX_DELTA_EVENTS = 50_000

export class RunModel {
  state: AuditState = emptyAudit
  leader: LeaderState = 'gone'
  private readonly checkpoints: AuditState[] = [emptyAudit]
  private last: Recorded | undefined

  constructor(readonly paths: StorePaths) {}

  /** Folds the events the store has now; throws on a damaged log (LOG_CORRUPT and the log's own errors). */
  async load(): Promise<void> {
    // A leader starting or stopping holds the log for a moment before it answers: wait for it, a while.
    for (let tries = 1; ; tries++) {
      try {
        return await this.loadOnce()
      } catch (err) {
        if (!(err instanceof JobtreeError && err.code === 'STORE_IN_USE' && tries < LOAD_TRIES && this.state.seq === 0)) throw err
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
  }

  private async loadOnce(): Promise<void> {
    const source = await EventSource.open(this.paths.root)
    try {
      this.leader = source.live ? 'running' : 'gone'
      // A live log grows while it is read: the events there are now; the feed follows the rest.
      const last = await source.lastSeq()
      await foldEvents(
        source,
        0,
        (folded: number, r: Recorded) => {
          this.apply(r)
          return folded + 1
        },
        { to: last },
      )
    } finally {
      await source.close()
    }
    if (this.state.tree.finished !== null) this.leader = 'finished'
  }

  /** Folds one more event (the next one in the log); throws ProjectionError when it contradicts the log. */
  apply(r: Recorded, touched?: Set<number>): void {
    const before = this.state
    this.state = evolveAudit(before, r)
    this.last = r
    if (r.seq % CHECKPOINT === 0) this.checkpoints[r.seq / CHECKPOINT] = this.state
    if (this.state.tree.finished !== null) this.leader = 'finished'
    touched && touchedBy(r, before.tree, this.state.tree, touched)
  }

  run(): RunInfo {
    const { tree, timeline } = this.state
    return {
      store: this.paths.root,
      runId: tree.runId,
      target: tree.target,
      epoch: tree.epoch,
      leader: this.leader,
      lastSeq: this.state.seq,
      firstAt: timeline.firstAt,
      lastAt: timeline.lastAt,
      ok: tree.finished === null ? null : tree.finished.ok,
    }
  }

  /** The state after event `seq` (at most the newest folded), and that event. */
  async stateAt(seq: number, touched?: Set<number>, from?: AuditState): Promise<{ state: AuditState; event: Recorded | undefined }> {
    const live = this.state
    if (seq >= live.seq && touched === undefined) return { state: live, event: this.last }
    const to = Math.min(seq, live.seq)
    // From the checkpoint before `to` (not at it), so that the event at `to` is read too.
    let start = from ?? this.checkpoints[Math.floor(Math.max(0, to - 1) / CHECKPOINT)] ?? emptyAudit
    if (start.seq > to) start = this.checkpoints[Math.floor(Math.max(0, to - 1) / CHECKPOINT)] ?? emptyAudit
    if (start.seq === to) return { state: start, event: undefined }
    let event: Recorded | undefined
    const source = await EventSource.open(this.paths.root)
    try {
      const state = await foldEvents(
        source,
        start,
        (s: AuditState, r: Recorded) => {
          const next = evolveAudit(s, r)
          if (touched !== undefined) touchedBy(r, s.tree, next.tree, touched)
          event = r
          return next
        },
        { from: start.seq + 1, to },
      )
      return { state, event }
    } finally {
      await source.close()
    }
  }

  /** The tree after event `seq`: every row, or (with `since`) those that differ from the tree after event `since`. */
  async rows(seq: number, since: number | null): Promise<RowsMessage> {
    const target = Math.max(0, Math.min(seq, this.state.seq))
    if (since === null || since < 0 || since > this.state.seq || Math.abs(since - target) > MAX_DELTA_EVENTS) {
      const { state, event } = await this.stateAt(target)
      return this.message(state, event, null, allRows(state), [])
    }
    const lo = Math.min(since, target)
    const hi = Math.max(since, target)
    const low = await this.stateAt(lo)
    const touched = new Set<number>()
    const high = hi === lo ? low : await this.stateAt(hi, touched, low.state)
    const at = target === hi ? high : low
    const rows = []
    const removed = []
    for (const id of touched) {
      const row = rowOf(at.state, id)
      if (row === undefined) removed.push(id)
      else rows.push(row)
    }
    const event = at.event ?? (target === 0 ? undefined : (await this.stateAt(target)).event)
    return this.message(at.state, event, since, rows, removed)
  }

  message(state: AuditState, event: Recorded | undefined, since: number | null, rows: RowsMessage['rows'], removed: number[]): RowsMessage {
    return { seq: state.seq, since, at: state.at, counts: { ...state.tree.counts }, rows, removed, run: this.run(), event: eventLine(state, event) }
  }
}

export function eventLine(state: AuditState, r: Recorded | undefined): EventLine | null {
  if (r === undefined) return null
  const name = (id: number) => state.timeline.jobs.get(id)?.name ?? '?'
  return { seq: r.seq, at: r.event.at, type: r.event.type, text: describeEvent(r.event, name) }
}
