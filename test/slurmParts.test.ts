// The Slurm batch system's pure parts, without a cluster: site options,
// packing, sbatch's argv, squeue's answers, how an ended job is judged,
// and the checks run() makes of its Slurm options.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { toSpec, type JobOptions } from '../src/api/options.ts'
import { run } from '../src/api/run.ts'
import type { IssuedJob } from '../src/batch/batchSystem.ts'
import { packJobs } from '../src/batch/slurm/packing.ts'
import { isStuck, parseDuration, parseQueue } from '../src/batch/slurm/queue.ts'
import { parseSiteArgs } from '../src/batch/slurm/siteArgs.ts'
import { submission } from '../src/batch/slurm/submission.ts'
import { blame, verdict, type EndedJob } from '../src/batch/slurm/verdict.ts'
import { JobtreeError } from '../src/errors.ts'
import { trivial } from './fixtures/slurmTargets.ts'

const MiB = 2 ** 20

function job(jobId: number, options: JobOptions = {}): { job: IssuedJob } {
  const spec = toSpec({ kind: 'command', command: 'true' }, options)
  return { job: { jobId, attempt: 1, spec, module: '/m.ts', logFile: `/s/logs/${jobId}.log`, globalDir: '/s/global' } }
}

test('site options are split like shell words, and never expanded', () => {
  assert.deepEqual(parseSiteArgs(`--partition=short -A lab --comment="two \\"words\\"" --constraint='a|b' --chdir=a\\ b`), [
    '--partition=short', '-A', 'lab', '--comment=two "words"', '--constraint=a|b', '--chdir=a b',
  ])
  assert.deepEqual(parseSiteArgs('--comment=$HOME`id`*'), ['--comment=$HOME`id`*'])
  assert.deepEqual(parseSiteArgs('  '), [])
})

test('site options that would break jobtree, or that are no options, are refused', () => {
  const refused = (text: string, why: RegExp) =>
    assert.throws(() => parseSiteArgs(text), (err: unknown) => err instanceof JobtreeError && err.code === 'BAD_OPTION' && why.test(err.message))
  refused('-J mine', /may not set --job-name/)
  refused('--job-name=mine', /may not set --job-name/)
  refused('--job-n=mine', /may not set --job-name/)
  refused('--wrap "rm -rf /"', /may not set --wrap/)
  refused('--array=1-3', /may not set --array/)
  refused('-o out.txt', /may not set --output/)
  refused('--requeue', /may not set --requeue/)
  refused('-M other', /may not set --clusters/)
  refused('script.sh', /sbatch options only/)
  refused('--partition=short stray', /sbatch options only/)
  refused('--comment="open', /unclosed "/)
  refused("--comment='open", /unclosed '/)
  refused('--comment=x\\', /lone backslash/)
})

test('short jobs of the same shape are packed up to the job time, in order; others go alone', () => {
  const jobs = [
    job(1, { time: 10 }), job(2, { time: 10 }), job(3), job(4, { time: 10 }), job(5, { time: 10, memory: '1G' }),
    job(6, { time: 40 }), job(7, { time: 5 }),
  ]
  const ids = (packs: Array<Array<{ job: IssuedJob }>>) => packs.map((p) => p.map((m) => m.job.jobId))
  assert.deepEqual(ids(packJobs(jobs, 25)), [[1, 2], [3], [4, 7], [5], [6]])
  assert.deepEqual(ids(packJobs(jobs, 0)), [[1], [2], [3], [4], [5], [6], [7]])
})

test('resources become sbatch options, argv words only, with the site options last before the script', () => {
  const ctx = { tag: 'jobtree-r', output: '/s/slurm/out/%j.out', storeRoot: '/s', siteArgs: ['--partition=short'] }
  const alone = submission([job(1, { cores: 1.5, memory: '1G', disk: '100M', time: 61 }).job], ['1-1'], ctx)
  assert.equal(alone.limitSeconds, 120)
  assert.equal(alone.memoryBytes, 1024 * MiB + 192 * MiB)
  const options = alone.args.slice(0, alone.args.indexOf('--partition=short') + 1)
  assert.deepEqual(options, [
    '--parsable', '--job-name=jobtree-r', '--output=/s/slurm/out/%j.out', '--no-requeue', '--nodes=1', '--ntasks=1',
    '--cpus-per-task=2', '--mem=1216M', '--tmp=100M', '--time=2', '--partition=short',
  ])
  const rest = alone.args.slice(options.length)
  assert.match(rest[0], /onNode\.sh$/)
  assert.equal(rest[1], process.execPath)
  assert.deepEqual(rest.slice(-2), ['/s', '1-1'])
  // A pack asks for the sum of its times, plus a minute; no time declared, no limit.
  const pack = submission([job(1, { time: 20 }).job, job(2, { time: 50 }).job], ['1-1', '2-1'], ctx)
  assert.equal(pack.limitSeconds, 180)
  assert.ok(!submission([job(3).job], ['3-1'], ctx).args.some((a) => a.startsWith('--time')))
})

test('squeue answers are read, whatever their padding; durations in every Slurm form', () => {
  const queue = parseQueue('12|RUNNING|0|1:05|None|\n13|FAILED|768|0:00|NonZeroExitCode|\n14|CANCELLED by 0|15|1-02:03:04|None|\n\n')
  assert.deepEqual(queue.get('12'), { id: '12', state: 'RUNNING', waitStatus: 0, ranSeconds: 65, reason: 'None' })
  assert.equal(queue.get('13')?.waitStatus, 768)
  assert.deepEqual(queue.get('14'), { id: '14', state: 'CANCELLED', waitStatus: 15, ranSeconds: 93784, reason: 'None' })
  assert.ok(isStuck('PartitionTimeLimit') && isStuck('QOSMaxWallDurationPerJobLimit') && isStuck('ReqNodeNotAvail, UnavailableNodes:n1') && isStuck('PartitionConfig'))
  assert.ok(!isStuck('Resources') && !isStuck('Priority') && !isStuck('None'))
  assert.equal(parseDuration('02:00:01'), 7201)
  assert.equal(parseDuration('INVALID'), 0)
})

test('a Slurm job that ended without a result is judged by its state', () => {
  const ended = (state: string | undefined, extra: Partial<EndedJob> = {}): EndedJob => ({
    slurmId: '7', entry: state === undefined ? undefined : { id: '7', state, waitStatus: 0, ranSeconds: 75, reason: 'None' },
    limitSeconds: 60, askedBytes: 64 * MiB, slurmMemoryBytes: 256 * MiB, output: '', members: 1, ...extra,
  })
  assert.deepEqual(verdict(ended('TIMEOUT')), { kind: 'timeout', limitSeconds: 60, ranSeconds: 75 })
  assert.deepEqual(verdict(ended('OUT_OF_MEMORY')), { kind: 'outOfMemory', usedBytes: 0, askedBytes: 64 * MiB })
  // Without cgroups, Slurm's sampler kills the job (FAILED) and says how much it used, in bytes or KiB.
  const sampled = 'slurmstepd-vm: error: StepId=7.batch exceeded memory limit (300000000 > 268435456), being killed'
  assert.deepEqual(verdict(ended('FAILED', { output: sampled })), { kind: 'outOfMemory', usedBytes: 300000000, askedBytes: 64 * MiB })
  const inKiB = 'slurmstepd: error: Step 7.0 exceeded memory limit (300000 > 262144), being killed'
  assert.deepEqual(verdict(ended('FAILED', { output: inKiB })), { kind: 'outOfMemory', usedBytes: 300000 * 1024, askedBytes: 64 * MiB })
  assert.equal(verdict(ended('CANCELLED')).kind, 'cancelled')
  assert.equal(verdict(ended('PREEMPTED')).kind, 'cancelled')
  assert.equal(verdict(ended('NODE_FAIL')).kind, 'nodeFailure')
  const crashed = ended('FAILED')
  crashed.entry = { id: '7', state: 'FAILED', waitStatus: 9, ranSeconds: 1, reason: 'JobLaunchFailure' }
  assert.deepEqual(verdict(crashed), { kind: 'workerDied', code: null, signal: 'SIGKILL' })
  crashed.entry = { id: '7', state: 'FAILED', waitStatus: 1 << 8, ranSeconds: 1, reason: 'NonZeroExitCode' }
  assert.deepEqual(verdict(crashed), { kind: 'workerDied', code: 1, signal: null })
  assert.match(JSON.stringify(verdict(ended('COMPLETED'))), /"lost".*filesystem the nodes share/)
  assert.match(JSON.stringify(verdict(ended(undefined, { members: 3 }))), /"lost".*no longer knows its Slurm job 7 \(a pack of 3 jobs\)/)
})

test('in a pack that ended, the attempts that ran fail and those that never started go again', () => {
  const claimed = new Set(['b'])
  assert.deepEqual(blame(['a', 'b', 'c'], (m) => claimed.has(m), false), { failed: ['b'], again: ['a', 'c'] })
  assert.deepEqual(blame(['a', 'b', 'c'], () => false, false), { failed: ['a'], again: ['b', 'c'] })
  assert.deepEqual(blame(['a', 'b'], (m) => claimed.has(m), true), { failed: [], again: ['a', 'b'] })
})

test('run() checks its Slurm options as the command line does, before the store exists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-slurmParts-'))
  try {
    const store = join(dir, 'store')
    await assert.rejects(run(trivial, 1, { store, batchSystem: 'slurm', slurmArgs: ['-J', 'mine'] }), /may not set --job-name/)
    await assert.rejects(run(trivial, 1, { store, batchSystem: 'pbs' }), /unknown batch system "pbs" \(known: local, slurm\)/)
    await assert.rejects(run(trivial, 1, { store, jobTime: 10 }), /--job-time applies to a cluster batch system/)
    assert.ok(!existsSync(store))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
