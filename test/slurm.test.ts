// jobtree on a real Slurm cluster. .ci/run runs them twice: on the one-node
// cluster of test/slurm/start-local-slurm.sh (its node declares TmpDisk), then
// on Slurm's stock recipe, test/slurm/stock/ (no TmpDisk, the default
// partition only, no accounting), through test/slurm/on-stock.sh. Without a
// cluster these tests fail, saying how to start one; they are never skipped.
import assert from 'node:assert/strict'
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { randomUUID } from 'node:crypto'
import { readLines } from '../examples/sort.ts'
import { openBatchSystem } from '../src/batch/choose.ts'
import { SHORT_FLAGS, TAKES_VALUE } from '../src/batch/slurm/siteArgs.ts'
import { silentLogger } from '../src/logger.ts'
import type { JobEvent } from '../src/events/catalogue.ts'
import { createdJobs } from '../src/events/jobsOf.ts'
import { finished, jobtree, readEvents, repo, scratch, sleep, startJobtree, type CliResult } from './helpers/cli.ts'
import { batchSystemContract } from './helpers/batchContract.ts'
import { freezeWhileJobEnds } from './helpers/frozenLeader.ts'
import { eventually, isDead } from './helpers/processes.ts'
import { filesOfFailedAttempts, storeFilesProblems } from './helpers/invariants/files.ts'

const MODULE = 'test/fixtures/slurmTargets.ts'
const SLURM = ['--batch-system', 'slurm', '--poll-interval', '1', '--no-progress']

let cluster: string | undefined
/** Fails the calling test, loudly, unless the Slurm controller answers and has a usable node. */
function requireCluster(): void {
  cluster ??= checkCluster()
  if (cluster !== '') assert.fail(`no Slurm cluster to test on: ${cluster}. Start one with: sudo bash test/slurm/start-local-slurm.sh`)
}

function checkCluster(): string {
  const ping = spawnSync('scontrol', ['ping'], { encoding: 'utf8' })
  if (ping.error !== undefined) return `scontrol cannot run (${ping.error.message})`
  if (ping.status !== 0 || !/UP/.test(ping.stdout)) return `scontrol ping says: ${(ping.stdout + ping.stderr).trim()}`
  const nodes = spawnSync('sinfo', ['--noheader', '--format=%T'], { encoding: 'utf8' }).stdout.split('\n')
  return nodes.some((state) => /^(idle|mixed|allocated|completing)/.test(state)) ? '' : `no node is up (sinfo: ${nodes.join(' ').trim()})`
}

/** The run's Slurm jobs in `states` (squeue's default: pending and running), by id. */
function squeue(tag: string, states?: string): Map<string, string> {
  const args = ['--noheader', `--name=${tag}`, '--Format=JobID:|,State:|', ...(states ? [`--states=${states}`] : [])]
  const jobs = new Map<string, string>()
  for (const line of execFileSync('squeue', args, { encoding: 'utf8' }).split('\n')) {
    const [id, state] = line.split('|')
    if (id) jobs.set(id, state)
  }
  return jobs
}

/** What `scontrol show job` says of a Slurm job's `field`. */
function slurmJobField(id: string, field: string): string | undefined {
  const line = execFileSync('scontrol', ['show', 'job', '-o', id], { encoding: 'utf8' })
  return new RegExp(`\\b${field}=(\\S*)`).exec(line)?.[1]
}

/** The Slurm job a jobtree job last ran in, from its log. */
function slurmJobOf(store: string, jobId: number): string {
  const log = readFileSync(join(store, 'logs', `${jobId}.log`), 'utf8')
  const ids = [...log.matchAll(/=== Slurm job (\d+) on /g)].map((m) => m[1])
  assert.ok(ids.length > 0, `job ${jobId} never ran in Slurm: ${log}`)
  return ids[ids.length - 1]
}

/** The largest TmpDisk a node declares, in MiB (0: none, Slurm's default). */
function largestTmpDisk(): number {
  const lines = execFileSync('sinfo', ['--noheader', '--format=%d'], { encoding: 'utf8' }).split('\n')
  return Math.max(0, ...lines.map((line) => parseInt(line, 10)).filter(Number.isFinite))
}

function running(tag: string): number {
  return [...squeue(tag).values()].filter((state) => state === 'RUNNING').length
}

/** A leader started in the background, with its stderr readable while it runs. */
function startLeader(args: string[]): { child: ChildProcess; stderr: () => string; done: Promise<CliResult> } {
  const child = startJobtree(args)
  let text = ''
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()))
  return { child, stderr: () => text, done: finished(child) }
}

function tagIn(stderr: string): string | undefined {
  return /jobs of this run are named (jobtree-[0-9a-f-]+)/.exec(stderr)?.[1]
}

async function waitFor<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`timed out after ${seconds} s waiting for ${what}`)
    await sleep(200)
  }
}

/** Starts a fan of sleepers and returns once Slurm runs some of them. */
async function fanRunning(store: string, input: object, extra: string[] = []) {
  const leader = startLeader(['run', MODULE, '--target', 'fan', '--store', store, '--input', JSON.stringify(input), ...SLURM, ...extra])
  const tag = await waitFor('the leader to name its Slurm jobs', 30, () => tagIn(leader.stderr()))
  // Two at least: the root alone runs first.
  await waitFor('Slurm jobs of the run to run', 60, () => (running(tag) >= 2 ? true : undefined))
  return { leader, tag }
}

/** A test on the cluster, with a fresh scratch directory and a store path in it. */
function slurmTest(name: string, seconds: number, body: (store: string, dir: string) => Promise<void>): void {
  test(name, { timeout: seconds * 1000 }, async (t) => {
    requireCluster()
    const dir = scratch(t, 'jobtree-slurm-')
    await body(join(dir, 'store'), dir)
  })
}

function failures(events: JobEvent[]) {
  return events.flatMap((e) => (e.type === 'JobFailed' ? [e.reason] : []))
}

test("the site-option check reads sbatch's options as this sbatch does (its --help)", () => {
  const help = execFileSync('sbatch', ['--help'], { encoding: 'utf8' })
  // Options whose help line leaves out that they take a value (sbatch's own table says they do).
  const helpOmitsValue = new Set(['container'])
  const wrong: string[] = []
  for (const m of help.matchAll(/^ {2,6}(?:-(\w),? +)?--([a-z][a-z-]*)(\[?=)?/gm)) {
    const [, short, long, value] = m as unknown as [string, string | undefined, string, string | undefined]
    const required = value === '=' || helpOmitsValue.has(long)
    if (required !== TAKES_VALUE.has(long)) wrong.push(`--${long} ${required ? 'takes' : 'takes no'} value here`)
    if (short !== undefined && required === SHORT_FLAGS.has(short)) wrong.push(`-${short} ${required ? 'takes' : 'takes no'} value here`)
  }
  assert.deepEqual(wrong, [])
})

// The tests every batch system passes, here through Slurm as a run opens it.
batchSystemContract('Slurm', {
  open: (dir) => {
    requireCluster()
    const config = { retryCount: 0, maxJobs: 1000, maxCores: 2, maxMemory: 2 ** 34, maxDisk: 2 ** 34, batchSystem: 'slurm' as const, pollInterval: 1 }
    return openBatchSystem(config, { runId: randomUUID(), storeRoot: dir, logger: silentLogger })
  },
  timeoutMs: 120_000,
  concurrency: 2,
})

describe('Slurm', { concurrency: 2 }, () => {
  // The slowest test (Slurm checks time limits about every 30 s) runs beside all the others.
  slurmTest('a job over its declared time is reported as a timeout', 180, async (store) => {
    const r = await jobtree(['run', MODULE, '--target', 'overtime', '--store', store, ...SLURM])
    assert.equal(r.code, 1, r.stderr)
    const [reason] = failures(await readEvents(store))
    assert.ok(reason?.kind === 'timeout', JSON.stringify(reason))
    assert.equal(reason.limitSeconds, 60)
    assert.ok(reason.ranSeconds >= 60, `ran ${reason.ranSeconds} s`)
    assert.match(r.stderr, /over its limit of 60 s/)
    const status = await jobtree(['status', store])
    assert.match(status.stdout, /failed: job 1 \(command: sleep 600\) after 1 failed attempt\(s\): killed after running \d+ s, over its limit of 60 s/)
    assert.match(status.stdout, /ended TIMEOUT/)
  })

  describe('one at a time', { concurrency: 1 }, () => {
    slurmTest('the merge-sort example sorts its file on the file store, its input imported, jobs failing after writing', 180, async (store, dir) => {
      const input = join(dir, 'lines.txt')
      const output = join(dir, 'sorted.txt')
      execFileSync(process.execPath, [join(repo, 'examples', 'make-lines.mjs'), input, '3000', '7'])
      const r = await jobtree([
        'run',
        'examples/sort.ts',
        '--target',
        'sort',
        '--store',
        store,
        ...SLURM,
        // ~25 jobs that fail 30% of the time: some attempt fails but for one time in 7,000, and a job
        // fails 11 times in a row one time in 500,000 (with 20% and 8 jobs, 1 run in 6 saw no failure).
        '--retry-count',
        '10',
        '--input',
        JSON.stringify({ file: { $import: input }, output, maxBytes: 5_000, failRate: 0.3 }),
      ])
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(readLines(output), readLines(input).sort())
      assert.deepEqual({ ...JSON.parse(r.stdout), file: undefined }, { output, lines: 3000, file: undefined })
      const events = await readEvents(store)
      assert.ok(
        events.some((e) => e.type === 'FileWritten' && e.jobId === -1),
        'the input was imported',
      )
      assert.ok(
        events.some((e) => e.type === 'JobFailed'),
        'some attempts failed after writing their file',
      )
      assert.deepEqual(storeFilesProblems(join(store, 'files'), events), [])
      assert.deepEqual(filesOfFailedAttempts(events), [])
      assert.equal(events.filter((e) => e.type === 'JobFinished').length, events.flatMap((e) => [...createdJobs(e)]).length)
      // Every Slurm job's files were cleaned up as its results came in.
      for (const sub of ['jobs', 'results', 'out']) assert.deepEqual(readdirSync(join(store, 'slurm', sub)), [], sub)
    })

    slurmTest('what a command left running on its node ends with it, even in a session of its own', 90, async (store, dir) => {
      // proctrack/linuxproc loses a process that left the job's process tree: the worker must end it.
      const pidFile = join(dir, 'pids')
      const left = () => readFileSync(pidFile, 'utf8').trim().split('\n').map(Number)
      try {
        const r = await jobtree(['run', MODULE, '--target', 'leavesSleeps', '--store', store, '--input', JSON.stringify(pidFile), ...SLURM])
        assert.equal(r.code, 0, r.stderr)
        assert.equal(left().length, 2)
        await eventually('no sleep the command left is alive', () => left().every(isDead))
      } finally {
        for (const pid of existsSync(pidFile) ? left() : []) if (!isDead(pid)) process.kill(pid, 'SIGKILL')
      }
    })

    slurmTest("a store whose path holds % signs (which sbatch's --output expands) runs, its jobs' output where jobtree looks", 90, async (_store, dir) => {
      const store = join(dir, '100%j%%x', 'store')
      const r = await jobtree(['run', MODULE, '--target', 'exits3', '--store', store, ...SLURM])
      assert.equal(r.code, 1, r.stderr)
      assert.deepEqual(failures(await readEvents(store)), [
        { kind: 'exit', code: 3 },
        { kind: 'exit', code: 3 },
      ])
      // Slurm wrote each job's output under the store's own path, not one it expanded.
      assert.deepEqual(readdirSync(dir), ['100%j%%x'])
    })

    slurmTest('a job that exits 3 is reported with exit code 3 after its retries', 90, async (store) => {
      const r = await jobtree(['run', MODULE, '--target', 'exits3', '--store', store, ...SLURM])
      assert.equal(r.code, 1, r.stderr)
      const events = await readEvents(store)
      assert.deepEqual(failures(events), [
        { kind: 'exit', code: 3 },
        { kind: 'exit', code: 3 },
      ])
      assert.ok(events.some((e) => e.type === 'JobFailedCompletely' && e.jobId === 1))
      assert.match(r.stderr, /failed completely after 2 failed attempt\(s\): exited with code 3/)
      const status = await jobtree(['status', store])
      assert.match(status.stdout, /after 2 failed attempt\(s\): exited with code 3/)
      assert.match(status.stdout, /about to fail/)
    })

    slurmTest('a job asking for more memory than any node has is refused, clearly', 60, async (store) => {
      const r = await jobtree(['run', MODULE, '--target', 'huge', '--store', store, ...SLURM])
      assert.equal(r.code, 1, r.stderr)
      const [reason] = failures(await readEvents(store))
      assert.equal(reason?.kind, 'unschedulable')
      assert.match(
        r.stderr,
        /Slurm refused it: Memory specification can not be satisfied.*: --mem is the job's memory option \(1T\) plus 192M for jobtree's worker, and the largest node has [\d.]+G: ask for less memory/,
      )
    })

    slurmTest(
      "a job's disk is reserved (--tmp) only when it asks for disk; where no node declares TmpDisk, that job is refused, naming its disk option",
      90,
      async (store) => {
        const r = await jobtree(['run', MODULE, '--target', 'disky', '--store', store, ...SLURM])
        // The root asked for no disk: it ran, reserving none, whatever the cluster.
        assert.equal(slurmJobField(slurmJobOf(store, 0), 'MinTmpDiskNode'), '0')
        if (largestTmpDisk() >= 16) {
          assert.equal(r.code, 0, r.stderr)
          assert.equal(slurmJobField(slurmJobOf(store, 1), 'MinTmpDiskNode'), '16M')
        } else {
          assert.equal(r.code, 1, r.stderr)
          const [reason] = failures(await readEvents(store))
          assert.equal(reason?.kind, 'unschedulable')
          assert.match(
            r.stderr,
            /job 1 \(command: true\) failed completely .*Slurm refused it: .*: --tmp is the job's disk option \(16M\) and the nodes declare no TmpDisk: ask for less disk, or leave disk unset to reserve none/,
          )
        }
      },
    )

    slurmTest(
      'with --slurm-tmp-always every job reserves its disk, 2G by default; where no node has that much TmpDisk, the flag is named',
      60,
      async (store) => {
        const r = await jobtree(['run', MODULE, '--target', 'noop', '--input', '0', '--store', store, ...SLURM, '--slurm-tmp-always'])
        if (largestTmpDisk() >= 2048) {
          assert.equal(r.code, 0, r.stderr)
          assert.equal(slurmJobField(slurmJobOf(store, 0), 'MinTmpDiskNode'), '2G')
        } else {
          assert.equal(r.code, 1, r.stderr)
          assert.match(
            r.stderr,
            /Slurm refused it: .*: --tmp is the default disk \(2G\), asked because of --slurm-tmp-always, and (the nodes declare no TmpDisk|the largest node has \S+ of TmpDisk): run without --slurm-tmp-always/,
          )
        }
      },
    )

    slurmTest('short jobs are packed into few Slurm jobs, each with its own events', 90, async (store) => {
      const r = await jobtree(['run', MODULE, '--target', 'trivial', '--input', '20', '--store', store, ...SLURM, '--job-time', '10'])
      assert.equal(r.code, 0, r.stderr)
      const events = await readEvents(store)
      assert.equal(events.filter((e) => e.type === 'JobIssued').length, 21)
      assert.equal(events.filter((e) => e.type === 'JobFinished').length, 21)
      // Each child's log names the Slurm job it rode in: 20 jobs of 1 s, 10 s a pack.
      const slurmJobs = new Set<string>()
      for (let job = 1; job <= 20; job++) {
        const log = readFileSync(join(store, 'logs', `${job}.log`), 'utf8')
        const m = /=== Slurm job (\d+) on \S+, packed: \d+ of 10 ===/.exec(log)
        assert.ok(m !== null, log)
        slurmJobs.add(m[1])
      }
      assert.equal(slurmJobs.size, 2)
    })

    slurmTest('a job cancelled outside jobtree is reported as cancelled, and retried', 90, async (store) => {
      const { leader, tag } = await fanRunning(store, { n: 2, seconds: 8, time: 0 }, ['--retry-count', '1'])
      const [victim] = [...squeue(tag, 'running').keys()]
      execFileSync('scancel', [victim])
      const r = await leader.done
      assert.equal(r.code, 0, r.stderr)
      const [reason] = failures(await readEvents(store))
      assert.deepEqual(reason, { kind: 'cancelled', message: `Slurm job ${victim} was cancelled outside jobtree` })
      assert.match(r.stderr, new RegExp(`failed: Slurm job ${victim} was cancelled outside jobtree`))
    })

    slurmTest('over-long packed jobs are stopped one at a time; the rest of their pack is not blamed', 90, async (store) => {
      // Three sleepers of 30 s declared 10 s each: one pack; each is killed after 4 s.
      const r = await jobtree([
        'run',
        MODULE,
        '--target',
        'fan',
        '--store',
        store,
        '--input',
        JSON.stringify({ n: 3, seconds: 30, time: 10 }),
        ...SLURM,
        '--job-time',
        '30',
        '--max-job-duration',
        '4',
        '--rescue-frequency',
        '1',
        '--retry-count',
        '0',
      ])
      assert.equal(r.code, 1, r.stderr)
      const reasons = failures(await readEvents(store))
      assert.equal(reasons.length, 3)
      // Each ran about 4 s from its own start, not from its pack's.
      for (const reason of reasons) assert.ok(reason.kind === 'timeout' && reason.ranSeconds >= 4 && reason.ranSeconds < 10, JSON.stringify(reason))
      // Those behind the killed one went on in a new pack.
      const packs = [1, 2, 3].map(
        (job) => /packed: 1 of (\d)|Slurm job \d+ on \S+ ===/.exec(readFileSync(join(store, 'logs', `${job}.log`), 'utf8'))?.[1] ?? '1',
      )
      assert.deepEqual(packs, ['3', '2', '1'])
    })

    slurmTest('a leader frozen past the time limit of a job that finished meanwhile records it as finished', 90, async (store, dir) => {
      const { result, events } = await freezeWhileJobEnds(dir, store, SLURM)
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(failures(events), [])
      assert.equal(events.filter((e) => e.type === 'JobFinished').length, 1)
    })

    slurmTest('a leader SIGKILLed mid-run is restarted; no job of the first leader reports into the second', 150, async (store) => {
      // Six sleepers of 10 s, declared 15 s, in packs of two: still running when the second leader starts.
      const { leader, tag } = await fanRunning(store, { n: 6, seconds: 10, time: 15 }, ['--job-time', '30'])
      leader.child.kill('SIGKILL')
      await leader.done
      // Slurm jobs outlive their leader: they are still there.
      const left = [...squeue(tag).keys()]
      assert.ok(left.length > 0, 'the first leader left Slurm jobs behind')

      const r = await jobtree(['run', MODULE, '--store', store, '--restart', '--no-progress'])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /cancelling \d+ Slurm job\(s\) left by an earlier leader of this run/)
      const states = squeue(tag, 'all')
      for (const id of left) assert.ok(['CANCELLED', 'COMPLETED'].includes(states.get(id) ?? ''), `Slurm job ${id}: ${states.get(id)}`)

      const events = await readEvents(store)
      const resumed = events.find((e) => e.type === 'WorkflowResumed')
      assert.ok(resumed !== undefined)
      const epochOf = new Map(events.flatMap((e) => (e.type === 'JobIssued' ? [[`${e.jobId}/${e.attempt}`, e.epoch] as const] : [])))
      const finishedAfter = events.filter((e) => e.type === 'JobFinished' && e.at >= resumed.at)
      for (const e of finishedAfter)
        assert.ok(e.type === 'JobFinished' && epochOf.get(`${e.jobId}/${e.attempt}`) === 2, `job ${JSON.stringify(e)} finished for the first leader`)
      assert.equal(new Set(events.flatMap((e) => (e.type === 'JobFinished' ? [e.jobId] : []))).size, 7)
      // The first leader's sleepers that ran on after its death ended before the second leader took over.
      const markers = readFileSync(join(store, 'global', 'markers'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ').map(Number))
      for (const [job, attempt, at] of markers) {
        if (epochOf.get(`${job}/${attempt}`) === 1)
          assert.ok(at < resumed.at, `job ${job} attempt ${attempt} of the first leader wrote at ${at}, after the restart at ${resumed.at}`)
      }
      assert.deepEqual(readdirSync(join(store, 'slurm', 'results')), [])
    })

    slurmTest('a leader stopped with SIGTERM leaves no job of the run in squeue', 90, async (store) => {
      const { leader, tag } = await fanRunning(store, { n: 4, seconds: 120, time: 0 })
      leader.child.kill('SIGTERM')
      const r = await leader.done
      assert.equal(r.code, 130, r.stderr)
      assert.deepEqual([...squeue(tag).keys()], [])
      assert.ok([...squeue(tag, 'all').values()].includes('CANCELLED'))
    })

    slurmTest('jobtree kill leaves no job of the run in squeue, with its leader alive or dead', 120, async (store) => {
      const first = await fanRunning(store, { n: 4, seconds: 120, time: 0 })
      const killed = await jobtree(['kill', store])
      assert.equal(killed.code, 0, killed.stderr)
      assert.equal((await first.leader.done).code, 130)
      assert.deepEqual([...squeue(first.tag).keys()], [])

      // A leader that died leaves its jobs running; kill cancels them from the log.
      const second = startLeader(['run', MODULE, '--store', store, '--restart', '--no-progress'])
      await waitFor('the restarted run to run in Slurm', 60, () => (running(first.tag) >= 2 ? true : undefined))
      second.child.kill('SIGKILL')
      await second.done
      assert.ok(squeue(first.tag).size > 0)
      const cleaned = await jobtree(['kill', store])
      assert.equal(cleaned.code, 0, cleaned.stderr)
      assert.match(cleaned.stderr, /cancelling \d+ Slurm job/)
      assert.deepEqual([...squeue(first.tag).keys()], [])
    })
  })
})
