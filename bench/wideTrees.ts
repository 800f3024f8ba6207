// `npm run bench:wide [-- --repeat N] [-- --baseline DIR] [-- --quick]`:
// wide trees of no-op jobs at three sizes (1,011, 10,101 and 101,001 jobs),
// jobs per second and the leader's CPU time per job. With --baseline (another
// checkout, built), its runs alternate with this one's, so that both see the
// same machine; the figures are medians, with the ratio new/baseline.
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BIN, runWorkflow, WORKFLOWS, type RunFigures } from './scenarios.ts'
import { fmt, median } from './stats.ts'

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, repeat: { type: 'string' }, baseline: { type: 'string' } },
})
const repeat = Number(values.repeat ?? (values.quick === true ? 1 : 3))
const widths = values.quick === true ? [10, 100] : [10, 100, 1000]
const say = (text: string) => process.stderr.write(`${text}\n`)

interface Side {
  name: string
  bin: string
  module: string
}
const sides: Side[] = [{ name: 'this checkout', bin: BIN, module: WORKFLOWS }]
if (values.baseline !== undefined) {
  const base = resolve(values.baseline)
  sides.unshift({ name: `baseline ${base}`, bin: join(base, 'bin', 'jobtree.js'), module: join(base, 'bench', 'workflows.ts') })
}

const rows: string[] = []
for (const width of widths) {
  const runs = new Map<Side, RunFigures[]>(sides.map((s) => [s, []]))
  for (let i = 0; i < repeat; i++) {
    for (const side of sides) {
      const figures = await runWorkflow('wide', { width, fanout: 100 }, [], side.module, side.bin)
      say(`${side.name}: ${fmt(figures.jobs)} jobs, ${fmt(figures.jobsPerSecond)} jobs/s, leader ${fmt(figures.leaderCpuPerJobUs, 1)} µs/job`)
      runs.get(side)?.push(figures)
    }
  }
  const medians = sides.map((side) => {
    const of = runs.get(side) ?? []
    return { side, jobs: of[0]?.jobs ?? 0, rate: median(of.map((f) => f.jobsPerSecond)), cpu: median(of.map((f) => f.leaderCpuPerJobUs)) }
  })
  for (const m of medians) rows.push(`| ${fmt(m.jobs)} | ${m.side.name} | ${fmt(m.rate)} | ${fmt(m.cpu, 1)} |`)
  if (medians.length === 2) {
    const [base, now] = medians
    rows.push(`| ${fmt(now.jobs)} | ratio | ${fmt(now.rate / base.rate, 2)}× | ${fmt(now.cpu / base.cpu, 2)}× |`)
  }
}
process.stdout.write([`wide trees, medians of ${repeat}`, '| jobs | checkout | jobs/s | leader CPU µs/job |', '|---|---|---|---|', ...rows].join('\n') + '\n')
