// What the web view's server sends its page: plain JSON shapes, shared by
// both sides (the page imports only these types, never the server's code).

/** A row's state, as the page colours it. */
export const ROW_STATES = ['waiting', 'ready', 'running', 'done', 'retrying', 'failed', 'superseded'] as const
export type RowState = (typeof ROW_STATES)[number]

/** One job as the tree shows it: id, parent (-1 for the root), follow-on (1) or not (0), name, state (index in ROW_STATES), attempts, failed attempts. */
export type Row = [id: number, parent: number, followOn: 0 | 1, name: string, state: number, attempts: number, failures: number]

export interface Counts {
  total: number
  waiting: number
  ready: number
  issued: number
  succeeded: number
  failed: number
}

/** running: a leader answers; gone: none does and the run has not finished; finished: the log ends the run. */
export type LeaderState = 'running' | 'gone' | 'finished'

export interface RunInfo {
  store: string
  runId: string
  target: string
  /** The leader working on the run (1, 2, …, one more with each restart). */
  epoch: number
  leader: LeaderState
  /** The newest event the server has folded. */
  lastSeq: number
  firstAt: number
  lastAt: number
  /** Set once the run finished: whether every job succeeded. */
  ok: boolean | null
}

/** The event at a position, in words. */
export interface EventLine {
  seq: number
  at: number
  type: string
  text: string
}

/**
 * The tree at `seq`. With `since`, only the rows that changed between `since`
 * and `seq` (`removed`: jobs created after `seq`, when going back); without,
 * every row.
 */
export interface RowsMessage {
  seq: number
  since: number | null
  at: number
  counts: Counts
  rows: Row[]
  removed: number[]
  run: RunInfo
  event: EventLine | null
}

export interface AttemptView {
  attempt: number
  outcome: string
  readyAt: number
  issuedAt: number
  startAt: number | null
  endAt: number
  wallMs: number | null
  cpuMs: number | null
  maxRss: number | null
  reason: string | null
}

export interface JobPanel {
  id: number
  seq: number
  name: string
  state: RowState
  /** The job and its ancestors, the job first. */
  ancestry: Array<{ id: number; name: string; relation: string }>
  input: string
  value: string | null
  attempts: AttemptView[]
  events: EventLine[]
  logFile: string
  logTail: string
}

export interface Charts {
  seq: number
  from: number
  to: number
  bucketMs: number
  /** Attempts that succeeded in each interval. */
  finished: number[]
  /** Attempts out at the end of each interval. */
  running: number[]
  criticalPath: { totalMs: number; steps: Array<{ jobId: number; name: string; attempt: number; waitMs: number; runMs: number }> }
}
