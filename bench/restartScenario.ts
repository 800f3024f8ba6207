// Scenario 4: a store of many events, as a leader that crashed leaves it;
// the time a restarted leader takes to issue its first job, and `jobtree
// status` on it before and after that leader stops. Used by `npm run bench`
// and, with and without snapshots side by side, by bench/restart.ts.
import { execFileSync } from 'node:child_process'
import { cpSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../src/logger.ts'
import { replay } from '../src/store/replay.ts'
import { runWorkflow } from '../src/leader/runWorkflow.ts'
import { loadSnapshot, SNAPSHOT_EVERY, Snapshotter } from '../src/store/snapshots.ts'
import { statusReport } from '../src/audit/statusReport.ts'
import { createStore, openStore } from '../src/store/store.ts'
import { median } from './stats.ts'
import { syntheticRun } from './syntheticRun.ts'
import './restartTargets.ts'

const MODULE = fileURLToPath(new URL('./restartTargets.ts', import.meta.url))
const BIN = fileURLToPath(new URL('../bin/jobtree.js', import.meta.url))

/**
 * Builds a store of about `events` events in `path` by driving the real
 * decider and projection with made-up outcomes (bench/syntheticRun.ts),
 * taking snapshots as a leader does, or none; the appends' latencies tell
 * what snapshots cost the loop.
 */
export async function buildStore(path: string, events: number, snapshots: boolean) {
  const store = await createStore(path)
  const appends: number[] = []
  const snapshotter = new Snapshotter(store.log, snapshots ? SNAPSHOT_EVERY : 0)
  const t0 = performance.now()
  const state = await syntheticRun(store.log, { events, module: MODULE, pending: 3000, batch: 100, snapshots: snapshotter, onAppend: (ms) => appends.push(ms) })
  await snapshotter.settled()
  const buildMs = performance.now() - t0
  const loaded = await loadSnapshot(store.log)
  const built = { state, events: store.log.lastSeq, buildMs, snapshots: snapshotter.taken, lastSnapshot: loaded?.seq ?? 0 }
  await store.log.close()
  const sorted = [...appends].sort((a, b) => a - b)
  return { ...built, appendMedian: median(appends), appendP99: sorted[Math.floor(sorted.length * 0.99)], appendMax: sorted[sorted.length - 1] }
}

/** Replay to the end and the status report, in this process. */
export async function timeReplay(store: string, snapshots: boolean): Promise<number> {
  const s = await openStore(store)
  try {
    const t0 = performance.now()
    const state = await replay(s.log, Infinity, { snapshots })
    statusReport(s.paths, state)
    return performance.now() - t0
  } finally {
    await s.log.close()
  }
}

/** `jobtree status` in a new process, as a user runs it. */
export function timeStatusCli(store: string): number {
  const t0 = performance.now()
  execFileSync(process.execPath, [BIN, 'status', store], { stdio: 'ignore' })
  return performance.now() - t0
}

/**
 * On a copy of the store: from calling runWorkflow to the first JobIssued
 * synced (the leader then stops cleanly), and `jobtree status` after that
 * stop. The copy goes: each restart adds events, and a snapshot when it stops.
 */
export async function timeRestart(original: string, snapshots: boolean): Promise<{ restartMs: number; statusAfterStopMs: number }> {
  const store = `${original}-copy`
  cpSync(original, store, { recursive: true })
  try {
    let issuedAt = 0
    let leader: { stop(reason: string): void } | undefined
    const t0 = performance.now()
    await runWorkflow({
      module: MODULE,
      target: '',
      input: null,
      store,
      restart: true,
      config: {},
      logger: silentLogger,
      // The store without snapshots stays without: this leader takes none either.
      snapshotEvery: snapshots ? SNAPSHOT_EVERY : 0,
      onStart: (started) => {
        leader = started
      },
      onCommit: (_state, events) => {
        if (issuedAt === 0 && events.some((e) => e.type === 'JobIssued')) {
          issuedAt = performance.now()
          leader?.stop('bench: first job issued')
        }
      },
    })
    return { restartMs: issuedAt - t0, statusAfterStopMs: timeStatusCli(store) }
  } finally {
    rmSync(store, { recursive: true, force: true })
  }
}
