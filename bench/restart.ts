// Restart and `status` on a store of 1,000,000 events, with and without
// snapshots. Run by hand:  node --import tsx bench/restart.ts [--events N] [--runs N] [--keep]
//
// The stores are built by driving the real decider and projection with
// made-up outcomes (bench/syntheticRun.ts) and appending through the log in
// batches, as a leader would: once taking snapshots as a leader does (every
// 10,000 events, or one per 40 bytes of the last snapshot), once
// without, the same events.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stateParts } from '../src/decider/stateCodec.ts'
import { buildStore, timeReplay, timeRestart, timeStatusCli } from './restartScenario.ts'
import { fmt, median } from './stats.ts'

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const EVENTS = arg('events', 1_000_000)
const RUNS = arg('runs', 5)

/** Encoding the final state as the leader does, part by part: the longest part is the longest the loop waits. */
function snapshotCost(state: Awaited<ReturnType<typeof buildStore>>['state']) {
  const slices: number[] = []
  let bytes = 0
  let t = performance.now()
  for (const part of stateParts(state)) {
    const now = performance.now()
    slices.push(now - t)
    bytes += part.length
    t = performance.now()
  }
  return { parts: slices.length, totalMs: slices.reduce((a, b) => a + b, 0), longestMs: Math.max(...slices), bytes, liveJobs: [...state.jobs.entries()].length }
}

const afterStop: number[] = []
async function restartOnCopy(original: string, snapshots: boolean): Promise<number> {
  const { restartMs, statusAfterStopMs } = await timeRestart(original, snapshots)
  afterStop.push(statusAfterStopMs)
  return restartMs
}

async function series(runs: number, fn: () => Promise<number> | number): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < runs; i++) xs.push(await fn())
  return median(xs)
}

const dir = mkdtempSync(join(tmpdir(), 'jobtree-restart-bench-'))
try {
  const withSnapshots = join(dir, 'with-snapshots')
  const without = join(dir, 'without-snapshots')
  const ms = (n: number) => `${fmt(n, n < 10 ? 1 : 0)} ms`
  process.stdout.write(`building two stores of ${fmt(EVENTS)} events (the same events, with and without snapshots) in ${dir} …\n`)
  const a = await buildStore(withSnapshots, EVENTS, true)
  const b = await buildStore(without, EVENTS, false)
  const cost = snapshotCost(a.state)
  process.stdout.write(
    [
      `store: ${fmt(a.events)} events; at the end ${fmt(cost.liveJobs)} live jobs, a snapshot of ${fmt(cost.bytes / 1024)} KiB in ${cost.parts} parts`,
      `building it (a leader's work without the jobs): ${fmt(a.buildMs / 1000, 1)} s taking snapshots as a leader does, ${fmt(b.buildMs / 1000, 1)} s without; ${a.snapshots} snapshots taken, the last after event ${fmt(a.lastSnapshot)}`,
      `synced appends of ~100 outcomes: median ${ms(a.appendMedian)}, p99 ${ms(a.appendP99)}, max ${ms(a.appendMax)} with snapshots; median ${ms(b.appendMedian)}, p99 ${ms(b.appendP99)}, max ${ms(b.appendMax)} without`,
      `encoding the last snapshot: ${ms(cost.totalMs)} in all, the longest part ${ms(cost.longestMs)} (the longest the leader's loop waits for it)`,
      '',
    ].join('\n') + '\n',
  )
  const rows: Array<[string, number, number]> = [
    [
      'replay to the end + status report, in process',
      await series(RUNS, () => timeReplay(withSnapshots, true)),
      await series(RUNS, () => timeReplay(without, false)),
    ],
    ['jobtree status (a new process)', await series(RUNS, () => timeStatusCli(withSnapshots)), await series(RUNS, () => timeStatusCli(without))],
    ['restart to the first issued job', await series(RUNS, () => restartOnCopy(withSnapshots, true)), await series(RUNS, () => restartOnCopy(without, false))],
  ]
  const stopped = [median(afterStop.slice(0, RUNS)), median(afterStop.slice(RUNS))] as const
  rows.push(['jobtree status after that leader stopped', stopped[0], stopped[1]])
  process.stdout.write(`median of ${RUNS} runs        with snapshots   without    speed-up\n`)
  for (const [what, a, b] of rows) process.stdout.write(`${what.padEnd(48)} ${ms(a).padStart(10)} ${ms(b).padStart(10)} ${`${fmt(b / a, 1)}x`.padStart(8)}\n`)
} finally {
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true })
}
