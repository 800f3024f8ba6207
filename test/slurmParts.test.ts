// The Slurm batch system's pure parts, without a cluster: site options,
// packing, sbatch's argv, squeue's answers, how an ended job is judged,
// and the checks run() makes of its Slurm options.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { toSpec, type JobOptions } from '../src/workflow/options.ts'
import { run } from '../src/api/run.ts'
import type { IssuedJob } from '../src/worker/protocol.ts'
import { packJobs } from '../src/batch/slurm/packing.ts'
import { isStuck, parseDuration, parseQueue } from '../src/batch/slurm/queue.ts'
import { outPattern, slurmDirs } from '../src/batch/slurm/files.ts'
import { checkSiteArgs } from '../src/batch/slurm/siteArgs.ts'
import { shellWords } from '../src/cli/shellWords.ts'
import { refusal } from '../src/batch/slurm/refusal.ts'
import { submission } from '../src/batch/slurm/submission.ts'
import { blame, verdict, type EndedJob } from '../src/batch/slurm/verdict.ts'
import { JobtreeError } from '../src/errors.ts'
import type { JobEvent } from '../src/events/catalogue.ts'
import { decodeEvent, encodeEvent } from '../src/events/codec.ts'
import { trivial } from './fixtures/slurmTargets.ts'

const MiB = 2 ** 20

function job(jobId: number, options: JobOptions = {}): { job: IssuedJob } {
  const spec = toSpec({ kind: 'command', command: 'true' }, options)
  return { job: { jobId, attempt: 1, spec, module: '/m.ts', logFile: `/s/logs/${jobId}.log`, globalDir: '/s/global', filesDir: '/s/files', runId: 'r' } }
}

const parseSiteArgs = (text: string) => {
  const words = shellWords(text, '--slurm-args')
  checkSiteArgs(words)
  return words
}

test('site options are split like shell words, and never expanded', () => {
  assert.deepEqual(parseSiteArgs(`--partition=short -A lab --comment="two \\"words\\"" --constraint='a|b' --chdir=a\\ b`), [
    '--partition=short',
    '-A',
    'lab',
    '--comment=two "words"',
    '--constraint=a|b',
    '--chdir=a b',
  ])
  assert.deepEqual(parseSiteArgs('--comment=$HOME`id`*'), ['--comment=$HOME`id`*'])
  assert.deepEqual(parseSiteArgs('  '), [])
  // What takes a value takes it whole, as sbatch would: a reserved-looking value is only a value.
  assert.deepEqual(parseSiteArgs('-p -Jx --part short -pshort --mem 4G --exclusive --qos=hi -vv'), [
    '-p',
    '-Jx',
    '--part',
    'short',
    '-pshort',
    '--mem',
    '4G',
    '--exclusive',
    '--qos=hi',
    '-vv',
  ])
})

test('site options that would break jobtree, or that are no options, are refused', () => {
  const refused = (text: string, why: RegExp) =>
    assert.throws(
      () => parseSiteArgs(text),
      (err: unknown) => err instanceof JobtreeError && err.code === 'BAD_OPTION' && why.test(err.message),
    )
  refused('-J mine', /may not set --job-name/)
  refused('--job-name=mine', /may not set --job-name/)
  refused('--job-n=mine', /may not set --job-name/)
  refused('--wrap "rm -rf /"', /may not set --wrap/)
  refused('--array=1-3', /may not set --array/)
  refused('-o out.txt', /may not set --output/)
  refused('--requeue', /may not set --requeue/)
  refused('-M other', /may not set --clusters/)
  refused('script.sh', /sbatch options only/)
  // As sbatch (getopt) reads them: prefixes of long options, grouped short ones, words after options without a value.
  refused('--ou=x', /may not set --output/)
  refused('--jo=x', /may not set --job-name/)
  refused('--ar=1-3', /may not set --array/)
  refused('--er=x', /may not set --error/)
  refused('--wr=x', /may not set --wrap/)
  refused('--cluster=other', /may not set --clusters/)
  refused('-vJNAME', /may not set --job-name/)
  refused('-Jmine', /may not set --job-name/)
  refused('-Hoout.txt', /may not set --output/)
  refused('--exclusive /x.sh', /sbatch options only, got "\/x.sh"/)
  refused('--hold x.sh', /sbatch options only/)
  refused('-H x.sh', /sbatch options only/)
  refused('--partition=short -- x.sh', /sbatch options only, got "--"/)
  refused('-', /sbatch options only/)
  refused('--partition=short stray', /sbatch options only/)
  refused('--comment="open', /unclosed "/)
  refused("--comment='open", /unclosed '/)
  refused('--comment=x\\', /lone backslash/)
})

test('short jobs of the same shape are packed up to the job time, in order; others go alone', () => {
  const jobs = [
    job(1, { time: 10 }),
    job(2, { time: 10 }),
    job(3),
    job(4, { time: 10 }),
    job(5, { time: 10, memory: '1G' }),
    job(6, { time: 40 }),
    job(7, { time: 5 }),
  ]
  const ids = (packs: Array<Array<{ job: IssuedJob }>>) => packs.map((p) => p.map((m) => m.job.jobId))
  assert.deepEqual(ids(packJobs(jobs, 25)), [[1, 2], [3], [4, 7], [5], [6]])
  assert.deepEqual(ids(packJobs(jobs, 0)), [[1], [2], [3], [4], [5], [6], [7]])
})

test('resources become sbatch options, argv words only, with the site options last before the script', () => {
  const ctx = { tag: 'jobtree-r', output: '/s/slurm/out/%j.out', storeRoot: '/s', siteArgs: ['--partition=short'], tmpAlways: false }
  const alone = submission([job(1, { cores: 1.5, memory: '1G', disk: '100M', time: 61 }).job], ['1-1'], ctx)
  assert.equal(alone.limitSeconds, 120)
  assert.equal(alone.memoryBytes, 1024 * MiB + 192 * MiB)
  const options = alone.args.slice(0, alone.args.indexOf('--partition=short') + 1)
  assert.deepEqual(options, [
    '--parsable',
    '--job-name=jobtree-r',
    '--output=/s/slurm/out/%j.out',
    '--no-requeue',
    '--nodes=1',
    '--ntasks=1',
    '--cpus-per-task=2',
    '--mem=1216M',
    '--tmp=100M',
    '--time=2',
    '--partition=short',
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

test("a job's disk reaches Slurm as --tmp only when the job asks for disk, or the run for every job", () => {
  const ctx = { tag: 'jobtree-r', output: '/s/slurm/out/%j.out', storeRoot: '/s', siteArgs: [], tmpAlways: false }
  const tmp = (spec: { job: IssuedJob }, always = false) =>
    submission([spec.job], ['1-1'], { ...ctx, tmpAlways: always }).args.filter((a) => a.startsWith('--tmp'))
  // The default 2G is not sent: a cluster that declares no TmpDisk refuses any --tmp.
  assert.deepEqual(tmp(job(1)), [])
  assert.deepEqual(tmp(job(1, { memory: '1G', time: 10 })), [])
  assert.deepEqual(tmp(job(1, { disk: '3G' })), ['--tmp=3072M'])
  // Asked for explicitly, even at the default's size, or 0.
  assert.deepEqual(tmp(job(1, { disk: '2G' })), ['--tmp=2048M'])
  assert.deepEqual(tmp(job(1, { disk: 0 })), ['--tmp=0M'])
  assert.deepEqual(tmp(job(1), true), ['--tmp=2048M'])
  // A later layer (a job's own options over its target's) keeps the target's disk asked for.
  assert.equal(toSpec({ kind: 'command', command: 'true' }, { disk: '1G' }, { memory: '1G' }).diskAsked, true)
  assert.equal(toSpec({ kind: 'command', command: 'true' }, { memory: '1G' }).diskAsked, undefined)
  // The log keeps it, with or without a retryCount before it in the stored form; older logs lack it.
  for (const spec of [job(1, { disk: '1G' }).job.spec, job(1, { disk: '1G', retryCount: 2 }).job.spec, job(1).job.spec]) {
    const created: JobEvent = { type: 'JobCreated', v: 1, at: 1, jobId: 1, parent: 0, relation: 'child', spec }
    assert.deepEqual(decodeEvent(encodeEvent(created)), created)
  }
  // The local batch system still counts the default.
  assert.equal(job(1).job.spec.resources.disk, 2 * 2 ** 30)
  // Jobs that ask for their disk are not packed with jobs that do not: the pack asks for its first job's.
  const packs = packJobs([job(1, { time: 1 }), job(2, { time: 1, disk: '2G' }), job(3, { time: 1 })], 30)
  assert.deepEqual(
    packs.map((p) => p.map((m) => m.job.jobId)),
    [[1, 3], [2]],
  )
})

test('a refusal says which job option or jobtree flag asked for what Slurm refused, and what the cluster has', () => {
  const largest = { cores: 2, memory: 8 * 2 ** 30, disk: 0, time: 0 }
  const ctx = { largest, tmpAlways: false, siteArgs: [] as string[] }
  const plan = { args: [], limitSeconds: 0, memoryBytes: 0 }
  const said = (complaint: string, options: JobOptions, c: Partial<typeof ctx> = {}) => refusal(complaint, job(1, options).job.spec, plan, { ...ctx, ...c })
  const tmpRefused = 'Temporary disk specification can not be satisfied; Batch job submission failed: Requested node configuration is not available'
  assert.equal(
    said(tmpRefused, { disk: '1G' }),
    `Slurm refused it: ${tmpRefused}: --tmp is the job's disk option (1G) and the nodes declare no TmpDisk: ask for less disk, or leave disk unset to reserve none`,
  )
  assert.match(
    said(tmpRefused, {}, { tmpAlways: true }),
    /--tmp is the default disk \(2G\), asked because of --slurm-tmp-always, and the nodes declare no TmpDisk: run without --slurm-tmp-always$/,
  )
  assert.match(said(tmpRefused, { disk: '1G' }, { largest: { ...largest, disk: 2 ** 29 } }), /and the largest node has 512M of TmpDisk: ask for less disk/)
  assert.match(
    said('Memory specification can not be satisfied', { memory: '1T' }),
    /: --mem is the job's memory option \(1T\) plus 192M for jobtree's worker, and the largest node has 8G: ask for less memory$/,
  )
  assert.match(
    said('More processors requested than permitted', { cores: 4 }),
    /: --cpus-per-task is the job's cores option \(4\) and the largest node has 2 cores: ask for fewer cores$/,
  )
  assert.match(
    refusal('Requested time limit is invalid (missing or exceeds some limit)', job(1, { time: 7200 }).job.spec, { ...plan, limitSeconds: 7200 }, ctx),
    /--time=120 \(minutes\) is the job's time option \(7200 s\), over what the partition allows: declare less time, or choose another partition with --slurm-args$/,
  )
  assert.match(said('Invalid account or account/partition combination specified', {}), /give it with --slurm-args, e\.g\. "--partition=short --account=lab"$/)
  assert.match(
    said('invalid partition specified: nope; Batch job submission failed: Invalid partition name specified', {}, { siteArgs: ['-p', 'nope'] }),
    /: check the site options, --slurm-args "-p nope"$/,
  )
  // A job that asked for no disk is never told about disk.
  assert.doesNotMatch(said('Requested node configuration is not available', {}), /disk/)
})

test('squeue answers are read, whatever their padding; durations in every Slurm form', () => {
  const queue = parseQueue('12|RUNNING|0|1:05|None|\n13|FAILED|768|0:00|NonZeroExitCode|\n14|CANCELLED by 0|15|1-02:03:04|None|\n\n')
  assert.deepEqual(queue.get('12'), { id: '12', state: 'RUNNING', waitStatus: 0, ranSeconds: 65, reason: 'None' })
  assert.equal(queue.get('13')?.waitStatus, 768)
  assert.deepEqual(queue.get('14'), { id: '14', state: 'CANCELLED', waitStatus: 15, ranSeconds: 93784, reason: 'None' })
  assert.ok(
    isStuck('PartitionTimeLimit') && isStuck('QOSMaxWallDurationPerJobLimit') && isStuck('ReqNodeNotAvail, UnavailableNodes:n1') && isStuck('PartitionConfig'),
  )
  assert.ok(!isStuck('Resources') && !isStuck('Priority') && !isStuck('None'))
  assert.equal(parseDuration('02:00:01'), 7201)
  assert.equal(parseDuration('INVALID'), 0)
})

test('a Slurm job that ended without a result is judged by its state', () => {
  const ended = (state: string | undefined, extra: Partial<EndedJob> = {}): EndedJob => ({
    slurmId: '7',
    entry: state === undefined ? undefined : { id: '7', state, waitStatus: 0, ranSeconds: 75, reason: 'None' },
    limitSeconds: 60,
    askedBytes: 64 * MiB,
    slurmMemoryBytes: 256 * MiB,
    output: '',
    members: 1,
    ...extra,
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
  assert.deepEqual(
    blame(['a', 'b', 'c'], (m) => claimed.has(m), false),
    { failed: ['b'], again: ['a', 'c'] },
  )
  assert.deepEqual(
    blame(['a', 'b', 'c'], () => false, false),
    { failed: ['a'], again: ['b', 'c'] },
  )
  assert.deepEqual(
    blame(['a', 'b'], (m) => claimed.has(m), true),
    { failed: [], again: ['a', 'b'] },
  )
})

test('run() checks its Slurm options as the command line does, before the store exists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-slurmParts-'))
  try {
    const store = join(dir, 'store')
    await assert.rejects(run(trivial, 1, { store, batchSystem: 'slurm', slurmArgs: ['-J', 'mine'] }), /may not set --job-name/)
    await assert.rejects(run(trivial, 1, { store, batchSystem: 'pbs' }), /unknown batch system "pbs" \(known: local, slurm\)/)
    await assert.rejects(run(trivial, 1, { store, jobTime: 10 }), /--job-time applies to a cluster batch system/)
    await assert.rejects(run(trivial, 1, { store, slurmTmpAlways: true }), /--slurm-tmp-always applies to a cluster batch system/)
    assert.ok(!existsSync(store))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("the store's own % signs reach sbatch's --output as %%; a store path with a backslash is refused, naming it", () => {
  assert.equal(outPattern(slurmDirs('/runs/100%/a%jb')), '/runs/100%%/a%%jb/slurm/out/%j.out')
  assert.throws(
    () => outPattern(slurmDirs('/runs/a\\b')),
    (err: unknown) => err instanceof JobtreeError && err.code === 'BAD_OPTION' && /"\/runs\/a\\\\b\/slurm" holds a backslash/.test(err.message),
  )
})
