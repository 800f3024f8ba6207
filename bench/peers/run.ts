// `npm run bench:peers [-- --quick] [-- --repeat N]`: shapes 1 (wide tree)
// and 2 (chain) on the peers that are installed, Toil and BullMQ, and on
// jobtree at the same sizes in the same run, as one table of jobtree's ratio
// to each. Never needed by the tests.
import { createRequire } from 'node:module'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { benchOptions } from '../options.ts'
import { runWorkflow } from '../scenarios.ts'
import { fmt, medianOf } from '../stats.ts'
import { bullmqChain, bullmqWide } from './bullmq.ts'
import type { PeerRun } from './figures.ts'
import { onPath } from './path.ts'
import { withRedis } from './redis.ts'
import { runToil, toilVersion } from './toil.ts'

const { quick, repeat } = benchOptions()
const say = (text: string) => process.stderr.write(`${text}\n`)

type Shape = { kind: 'wide'; width: number; fanout: number } | { kind: 'chain'; n: number }

interface Case {
  shape: Shape
  peer: string
  /** One run on the peer. */
  run: () => Promise<PeerRun>
}

interface Row {
  shape: string
  size: string
  peer: string
  peerRate: number
  jobtreeRate: number
}

const jobsIn = (s: Shape) => (s.kind === 'wide' ? 1 + s.width + s.width * s.fanout : s.n)
const shapeName = (s: Shape) => (s.kind === 'wide' ? '1. wide tree' : '2. chain of follow-ons')
const sizeName = (s: Shape) => (s.kind === 'wide' ? `${s.width} × ${s.fanout} (${fmt(jobsIn(s))} jobs)` : `${fmt(s.n)} jobs`)

/** The peer's median jobs per second, checking that it ran the shape's jobs. */
async function peerRate(c: Case): Promise<number> {
  return medianOf(repeat, async () => {
    const run = await c.run()
    if (run.jobs !== jobsIn(c.shape)) throw new Error(`${c.peer} ran ${run.jobs} jobs, not the ${jobsIn(c.shape)} of ${sizeName(c.shape)}`)
    return run.jobs / run.seconds
  })
}

// Rows of two peers may share a size: jobtree runs each size once.
const jobtreeRates = new Map<string, number>()
async function jobtreeRate(s: Shape): Promise<number> {
  const key = JSON.stringify(s)
  const known = jobtreeRates.get(key)
  if (known !== undefined) return known
  const rate = await medianOf(repeat, async () => {
    const run = s.kind === 'wide' ? await runWorkflow('wide', { width: s.width, fanout: s.fanout }) : await runWorkflow('chain', s.n)
    if (run.jobs !== jobsIn(s)) throw new Error(`jobtree ran ${run.jobs} jobs, not the ${jobsIn(s)} of ${sizeName(s)}`)
    return run.jobsPerSecond
  })
  jobtreeRates.set(key, rate)
  return rate
}

say(
  `jobtree peers bench${quick ? ' (quick)' : ''}: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, node ${process.version}, load average ${fmt(loadavg()[0], 1)}, ${repeat} run(s) each, medians`,
)

const measured: { c: Case; rate: number }[] = []

const toil = onPath('toil')
if (toil === undefined) say('Toil: `toil` is not on PATH, skipped (apt-get install toil)')
else {
  // Toil runs a few jobs a second at best here (under 1 without chaining), so its sizes are small.
  const toilCases: [Shape, boolean][] = quick
    ? [
        [{ kind: 'wide', width: 3, fanout: 10 }, true],
        [{ kind: 'chain', n: 20 }, true],
        [{ kind: 'chain', n: 5 }, false],
      ]
    : [
        [{ kind: 'wide', width: 10, fanout: 10 }, true],
        [{ kind: 'chain', n: 100 }, true],
        [{ kind: 'chain', n: 30 }, false],
      ]
  const version = await toilVersion(toil)
  for (const [shape, chaining] of toilCases) {
    const args = shape.kind === 'wide' ? ['wide', String(shape.width), String(shape.fanout)] : ['chain', String(shape.n)]
    if (!chaining) args.push('--no-chaining')
    const c: Case = { shape, peer: `Toil ${version}, single machine, chaining ${chaining ? 'on' : 'off'}`, run: () => runToil(toil, args) }
    say(`Toil: ${shapeName(shape)}, ${sizeName(shape)}, chaining ${chaining ? 'on' : 'off'}...`)
    measured.push({ c, rate: await peerRate(c) })
  }
}

const redis = onPath('redis-server')
if (redis === undefined) say('BullMQ: `redis-server` is not on PATH, skipped (apt-get install redis-server)')
else {
  const bullmqVersion = (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version
  const peer = `BullMQ ${bullmqVersion}, concurrency 8, Redis without persistence`
  const wide: Shape = quick ? { kind: 'wide', width: 20, fanout: 50 } : { kind: 'wide', width: 100, fanout: 100 }
  const chain: Shape = { kind: 'chain', n: quick ? 1_000 : 10_000 }
  await withRedis(redis, async (port) => {
    for (const c of [
      { shape: wide, peer, run: () => bullmqWide(port, wide.width, wide.fanout) },
      { shape: chain, peer, run: () => bullmqChain(port, chain.n) },
    ]) {
      say(`BullMQ: ${shapeName(c.shape)}, ${sizeName(c.shape)}...`)
      measured.push({ c, rate: await peerRate(c) })
    }
  })
}

// jobtree runs after the peers, with no peer's server left running.
const rows: Row[] = []
for (const { c, rate } of measured) {
  say(`jobtree: ${shapeName(c.shape)}, ${sizeName(c.shape)}...`)
  rows.push({ shape: shapeName(c.shape), size: sizeName(c.shape), peer: c.peer, peerRate: rate, jobtreeRate: await jobtreeRate(c.shape) })
}

const header = ['shape', 'size (same for both)', 'peer', 'peer jobs/s', 'jobtree jobs/s', 'jobtree ÷ peer']
const cells = rows.map((r) => [
  r.shape,
  r.size,
  r.peer,
  fmt(r.peerRate, r.peerRate < 10 ? 2 : 0),
  fmt(r.jobtreeRate),
  `${fmt(r.jobtreeRate / r.peerRate, r.jobtreeRate / r.peerRate < 10 ? 2 : 0)}×`,
])
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)))
const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
process.stdout.write([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n') + '\n')
