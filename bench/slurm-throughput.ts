// Trivial-job throughput on Slurm, with and without packing, beside the
// local batch system's, on the same workflow: `trivial` of
// test/fixtures/slurmTargets.ts, n children that each declare one second.
// Run by hand, on a machine with a Slurm cluster (for the local one:
// sudo bash test/slurm/start-local-slurm.sh); the stores go to TMPDIR, which
// on a real cluster must be on a filesystem the nodes share.
//
//   node --import tsx bench/slurm-throughput.ts [--jobs 200] [--repeat 3] [--job-time 50] [--poll-interval 1]
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runWorkflow, type RunFigures } from './scenarios.ts'
import { fmt, median } from './stats.ts'

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '200' },
    repeat: { type: 'string', default: '3' },
    'job-time': { type: 'string', default: '50' },
    'poll-interval': { type: 'string', default: '1' },
  },
})
const jobs = Number(values.jobs)
const repeat = Number(values.repeat)
const jobTime = values['job-time']
const poll = values['poll-interval']
const MODULE = fileURLToPath(new URL('../test/fixtures/slurmTargets.ts', import.meta.url))
const say = (text: string) => process.stderr.write(`${text}\n`)

interface Mode {
  name: string
  args: string[]
}

const modes: Mode[] = [
  { name: 'local batch system', args: [] },
  { name: 'Slurm, no packing', args: ['--batch-system', 'slurm', '--poll-interval', poll, '--job-time', '0'] },
  {
    name: `Slurm, packed (--job-time ${jobTime}: ${jobTime} jobs a Slurm job)`,
    args: ['--batch-system', 'slurm', '--poll-interval', poll, '--job-time', jobTime],
  },
]

say(
  `Slurm throughput: ${jobs} trivial jobs (+ the root) per run, ${repeat} runs per mode, medians; ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30, 1)} GiB, poll every ${poll} s`,
)
const medians = new Map<string, number>()
for (const mode of modes) {
  const runs: RunFigures[] = []
  for (let i = 0; i < repeat; i++) {
    const figures = await runWorkflow('trivial', jobs, mode.args, MODULE)
    say(`  ${mode.name}: run ${i + 1}: ${fmt(figures.seconds, 1)} s, ${fmt(figures.jobsPerSecond, 1)} jobs/s`)
    runs.push(figures)
  }
  medians.set(mode.name, median(runs.map((r) => r.jobsPerSecond)))
}

const [local, plain, packed] = modes.map((m) => medians.get(m.name) ?? 0)
const lines = [
  '| mode | jobs/s (median) | seconds for the run |',
  '| --- | --- | --- |',
  ...modes.map((m) => {
    const rate = medians.get(m.name) ?? 0
    return `| ${m.name} | ${fmt(rate, 1)} | ${fmt((jobs + 1) / rate, 1)} |`
  }),
  '',
  `packing on Slurm: ${fmt(packed / plain, 1)}× the throughput without; the local batch system: ${fmt(local / packed, 1)}× packed Slurm, ${fmt(local / plain, 1)}× Slurm without packing`,
]
process.stdout.write(lines.join('\n') + '\n')
