import { ProjectionError } from '../../decider/jobTree.ts'
import type { Recorded } from '../../events/catalogue.ts'
import { oneLine } from '../../errors.ts'
import { leaderAnswers } from '../../socket/ask.ts'
import { followEvents } from '../../socket/follow.ts'
import { rowOf } from './rows.ts'
import type { RunModel } from './runModel.ts'

// Keeps the model up with the run: every event from the leader's socket (and
// across a leader's crash and the next leader's restart, as `events --follow`
// reads them), folded once; every FLUSH_MS the rows those events changed go
// out as one message to every page. And whether a leader is there.

const FLUSH_MS = 150
const LEADER_POLL_MS = 700

export type Broadcast = (event: 'rows' | 'run' | 'failure', data: string) => void

export class LiveFeed {
  private touched = new Set<number>()
  private sentSeq: number
  private timer: NodeJS.Timeout | undefined
  private poller: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    private readonly model: RunModel,
    private readonly broadcast: Broadcast,
  ) {
    this.sentSeq = model.state.seq
  }

  start(): void {
    const follow = followEvents(this.model.paths, this.model.state.seq + 1, Infinity, (r) => this.take(r))
    follow.then(
      () => this.flush(),
      (err: unknown) => {
        if (this.stopped) return
        // The log stopped making sense (or could no longer be read): the page keeps what it has and says why.
        const why = err instanceof ProjectionError ? `the log contradicts itself: ${err.message}` : oneLine(err)
        process.stderr.write(`jobtree: ui: stopped following the run: ${why}\n`)
        this.broadcast('failure', JSON.stringify({ message: why }))
      },
    )
    this.pollLeader()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    clearTimeout(this.poller)
  }

  private take(r: Recorded): void {
    if (this.stopped) return
    const epoch = this.model.state.tree.epoch
    this.model.apply(r, this.touched)
    // A new leader's first event says it is there before the poll does.
    if (this.model.state.tree.epoch !== epoch && this.model.leader === 'gone') this.model.leader = 'running'
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS)
  }

  private flush(): void {
    this.timer = undefined
    if (this.stopped || (this.touched.size === 0 && this.model.state.seq === this.sentSeq)) return
    const state = this.model.state
    const rows = []
    for (const id of this.touched) {
      const row = rowOf(state, id)
      if (row !== undefined) rows.push(row)
    }
    const message = this.model.message(state, undefined, this.sentSeq, rows, [])
    this.touched = new Set()
    this.sentSeq = state.seq
    this.broadcast('rows', JSON.stringify(message))
  }

  private pollLeader(): void {
    if (this.stopped || this.model.leader === 'finished') return
    leaderAnswers(this.model.paths, LEADER_POLL_MS).then((answers) => {
      if (this.stopped) return
      const now = this.model.leader === 'finished' ? 'finished' : answers ? 'running' : 'gone'
      if (now !== this.model.leader) {
        this.model.leader = now
        this.broadcast('run', JSON.stringify(this.model.run()))
      }
      this.poller = setTimeout(() => this.pollLeader(), LEADER_POLL_MS)
    })
  }
}
