// `npm run bench [-- --quick] [-- --repeat N]`: jobtree's figures beside
// the raw limits of this machine, measured in the same run, as one table.
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { benchOptions } from './options.ts'
import { fullScan, ipcRoundTrips, spawnTrue, syncedAppends } from './raw.ts'
import { runWorkflow, type RunFigures } from './scenarios.ts'
import { buildStore, timeRestart, timeStatusCli } from './restartScenario.ts'
import { fmt, median, medianOf } from './stats.ts'
import { fileStoreFigures } from './fileStore.ts'
import { startUpFigures } from './startUp.ts'
import { formatSize as fmtSize } from '../src/sizes.ts'

const { quick, repeat } = benchOptions()
const size = quick
  ? {
      width: 20,
      fanout: 50,
      chain: 1_000,
      commands: 200,
      fan: 10_000,
      distinct: 20_000,
      ipc: 2_000,
      appends: 500,
      scan: 100_000,
      small: 200,
      large: 2,
      largeMiB: 32,
    }
  : {
      width: 100,
      fanout: 100,
      chain: 10_000,
      commands: 1_000,
      fan: 100_000,
      distinct: 1_000_000,
      ipc: 20_000,
      appends: 3_000,
      scan: 1_000_000,
      small: 1_000,
      large: 4,
      largeMiB: 256,
    }
const cores = availableParallelism()

interface Row {
  what: string
  figure: string
  limit: string
  ratio: string
}
const rows: Row[] = []
const say = (text: string) => process.stderr.write(`${text}\n`)

/** The median run of a workflow, by jobs per second. */
async function scenario(target: string, input: unknown, extra: string[] = []): Promise<RunFigures> {
  const runs: RunFigures[] = []
  for (let i = 0; i < repeat; i++) runs.push(await runWorkflow(target, input, extra))
  runs.sort((a, b) => a.jobsPerSecond - b.jobsPerSecond)
  return runs[Math.floor(runs.length / 2)]
}

say(
  `jobtree bench${quick ? ' (quick)' : ''}: ${cores} cores (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, node ${process.version}, ${repeat} run(s) each, medians`,
)

say('raw limits...')
const ipcOne = await medianOf(repeat, () => ipcRoundTrips(size.ipc, 'one'))
const ipcAll = await medianOf(repeat, () => ipcRoundTrips(size.ipc * 5, 'all'))
const append1 = await medianOf(repeat, () => syncedAppends(size.appends, 1))
const append100 = await medianOf(repeat, () => syncedAppends(size.appends * 20, 100))
const append1000 = await medianOf(repeat, () => syncedAppends(size.appends * 100, 1000))
const scanSeconds = await medianOf(repeat, () => fullScan(size.scan))
const spawnRate = await medianOf(repeat, () => spawnTrue(size.commands, cores))
rows.push(
  { what: 'raw: IPC round trip to a warm child, one in flight', figure: `${fmt(ipcOne)}/s`, limit: '', ratio: '' },
  { what: 'raw: IPC round trips, pipelined', figure: `${fmt(ipcAll)}/s`, limit: '', ratio: '' },
  { what: 'raw: synced LevelDB append, 1 event per batch', figure: `${fmt(append1)} events/s`, limit: '', ratio: '' },
  { what: 'raw: synced LevelDB append, 100 per batch', figure: `${fmt(append100)} events/s`, limit: '', ratio: '' },
  { what: 'raw: synced LevelDB append, 1,000 per batch', figure: `${fmt(append1000)} events/s`, limit: '', ratio: '' },
  { what: `raw: full scan of ${fmt(size.scan)} events`, figure: `${fmt(scanSeconds, 2)} s`, limit: '', ratio: '' },
  { what: `raw: spawn('true'), ${cores} at a time`, figure: `${fmt(spawnRate)}/s`, limit: '', ratio: '' },
)

say('start-up...')
const start = await startUpFigures(Math.max(5, repeat))
rows.push(
  {
    what: '0. start-up: `jobtree run` launched → its first job starts',
    figure: `${fmt(start.firstJobMs)} ms`,
    limit: '150 ms target',
    ratio: `${fmt((100 * start.firstJobMs) / 150, 1)}%`,
  },
  {
    what: '0. start-up: a 1-job run, launch → exit',
    figure: `${fmt(start.exitMs)} ms`,
    limit: `400 ms target (bare \`node -e 0\`: ${fmt(start.nodeMs)} ms)`,
    ratio: `${fmt((100 * start.exitMs) / 400, 1)}%`,
  },
)

say('wide tree...')
const wide = await scenario('wide', { width: size.width, fanout: size.fanout })
rows.push({
  what: `1. wide tree of no-op targets (${fmt(wide.jobs)} jobs)`,
  figure: `${fmt(wide.jobsPerSecond)} jobs/s`,
  limit: `${fmt(ipcAll)} IPC/s pipelined`,
  ratio: `${fmt((100 * wide.jobsPerSecond) / ipcAll, 1)}%`,
})

say('chain...')
const chain = await scenario('chain', size.chain)
rows.push({
  what: `2. chain of follow-ons (${fmt(chain.jobs)} jobs)`,
  figure: `${fmt(chain.jobsPerSecond)} jobs/s`,
  limit: `${fmt(ipcOne)} IPC/s one in flight`,
  ratio: `${fmt((100 * chain.jobsPerSecond) / ipcOne, 1)}%`,
})

say('commands...')
const commands = await scenario('commands', size.commands)
rows.push({
  what: `3. shell commands \`true\` (${fmt(commands.jobs)} jobs, 1 core each)`,
  figure: `${fmt(commands.jobsPerSecond)} jobs/s`,
  limit: `${fmt(spawnRate)} spawns/s`,
  ratio: `${fmt((100 * commands.jobsPerSecond) / spawnRate, 1)}%`,
})

say(`restart of a store of ${fmt(size.scan)} events...`)
const restartDir = mkdtempSync(join(tmpdir(), 'jobtree-bench-restart-'))
try {
  const store = join(restartDir, 'store')
  const built = await buildStore(store, size.scan, true)
  const crashed = await medianOf(repeat, async () => timeStatusCli(store))
  const restarts: Array<{ restartMs: number; statusAfterStopMs: number }> = []
  for (let i = 0; i < repeat; i++) restarts.push(await timeRestart(store, true))
  const restartMs = median(restarts.map((r) => r.restartMs))
  const stopped = median(restarts.map((r) => r.statusAfterStopMs))
  rows.push(
    {
      what: `4. restart of a ${fmt(built.events)}-event store, to the first issued job`,
      figure: `${fmt(restartMs)} ms`,
      limit: `${fmt(scanSeconds, 2)} s full scan`,
      ratio: `${fmt((100 * restartMs) / (scanSeconds * 1000), 1)}%`,
    },
    { what: '4. `jobtree status` on it after a clean stop', figure: `${fmt(stopped)} ms`, limit: '200 ms target', ratio: `${fmt((100 * stopped) / 200, 1)}%` },
    {
      what: `4. \`jobtree status\` on it after a crash (${fmt(built.events - built.lastSnapshot)} events past the last snapshot)`,
      figure: `${fmt(crashed)} ms`,
      limit: '200 ms target',
      ratio: `${fmt((100 * crashed) / 200, 1)}%`,
    },
  )
} finally {
  rmSync(restartDir, { recursive: true, force: true })
}

say('memory with many queued jobs...')
const baseline = await scenario('fan', 1)
const fan = await scenario('fan', size.fan)
const perJob = (fan.peakRss - baseline.peakRss) / size.fan
rows.push({
  what: `5. leader memory, ${fmt(size.fan)} children queued at once`,
  figure: `${fmt(perJob)} B/job (peak ${fmt(fan.peakRss / 2 ** 20)} MiB)`,
  limit: '1,024 B/job target',
  ratio: `${fmt((100 * perJob) / 1024, 1)}%`,
})
rows.push({
  what: '6. log bytes per job, wide tree (encoded events)',
  figure: `${fmt(wide.logBytesPerJob)} B/job (${fmt(wide.events / wide.jobs, 1)} events/job)`,
  limit: '200 B/job target',
  ratio: `${fmt((100 * wide.logBytesPerJob) / 200, 1)}%`,
})

say('one job adding distinct children...')
const distinct = await scenario('distinct', size.distinct)
rows.push({
  what: `7. one job adding ${fmt(size.distinct)} children, each its own input`,
  figure: `${fmt(distinct.jobsPerSecond)} jobs/s (peak ${fmt(distinct.peakRss / 2 ** 20)} MiB)`,
  limit: `${fmt(wide.jobsPerSecond)} jobs/s wide tree`,
  ratio: `${fmt((100 * distinct.jobsPerSecond) / wide.jobsPerSecond, 1)}%`,
})

say('file store...')
for (const [count, bytes] of [
  [size.small, 1024],
  [size.large, size.largeMiB * 2 ** 20],
]) {
  const f = await fileStoreFigures(count, bytes, repeat)
  rows.push({
    what: `8. file store: write + read back ${fmt(count)} × ${fmtSize(bytes)} (write ${fmt(f.writeMs)} ms, read ${fmt(f.readMs)} ms)`,
    figure: `${fmt(f.jobtreeMs)} ms`,
    limit: `${fmt(f.cpMs)} ms cp + sync + cat`,
    ratio: `${fmt(f.jobtreeMs / f.cpMs, 2)}×`,
  })
}

const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...[['scenario', 'figure', 'raw limit', 'ratio'], ...rows.map((r) => [r.what, r.figure, r.limit, r.ratio])].map((cells) => cells[i].length)),
)
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
process.stdout.write(
  [
    line(['scenario', 'figure', 'raw limit', 'ratio']),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map((r) => line([r.what, r.figure, r.limit, r.ratio])),
  ].join('\n') + '\n',
)
