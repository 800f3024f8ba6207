// `jobtree rewind` on real runs: a run completes with a bug in one target;
// rewinding the job it got wrong and restarting with the target fixed runs
// exactly that job and what depends on it (counted from the log and from
// what the jobs did outside the store), and the result is right; the same
// with the leader SIGKILLed at random moments while it runs them again; and
// what is refused, leaving the store as it was.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JobEvent } from '../src/events/catalogue.ts'
import { finished, jobtree, logDigest, readEvents, repo, scratch, sleep, startJobtree } from './helpers/cli.ts'
import { eventually } from './helpers/processes.ts'
import { leaderStatus } from '../src/audit/statusReport.ts'
import { storePaths } from '../src/store/store.ts'

interface Flow {
  dir: string
  module: string
  store: string
  side: string
  run: (...extra: string[]) => string[]
  restart: () => string[]
  fix: () => void
}

function setUp(t: TestContext, pause = 0): Flow {
  const dir = scratch(t, 'jobtree-rewind-')
  const module = join(dir, 'flow.ts')
  const source = readFileSync(join(repo, 'test/fixtures/rewindFlow.ts'), 'utf8').replace("'../../src/index.ts'", JSON.stringify(join(repo, 'src/index.ts')))
  writeFileSync(module, source)
  const store = join(dir, 'store')
  const side = join(dir, 'side.txt')
  const quiet = ['--no-progress', '--log-level', 'warn']
  return {
    dir,
    module,
    store,
    side,
    run: () => ['run', module, '--target', 'flow', '--store', store, ...quiet, '--input', JSON.stringify({ groups: 2, leaves: 3, side, pause })],
    restart: () => ['run', module, '--store', store, '--restart', ...quiet],
    fix: () => writeFileSync(module, readFileSync(module, 'utf8').replace('const BUG = true', 'const BUG = false')),
  }
}

/** The lines the jobs wrote outside the store, sorted. */
const sideLines = (f: Flow) =>
  readFileSync(f.side, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .sort()

/** Waits until the store's leader answers (or `gone` says it never will). */
function leaderAnswering(store: string, gone: () => boolean): Promise<void> {
  return eventually(
    'the leader answers',
    async () => {
      try {
        await leaderStatus(storePaths(store))
        return true
      } catch {
        return gone()
      }
    },
    20_000,
  )
}

/** The jobs issued after the last rewind in the log. */
function issuedSinceRewind(events: JobEvent[]): number[] {
  let at = events.length - 1
  while (at >= 0 && events[at].type !== 'JobsRewound') at -= 1
  return events.slice(at + 1).flatMap((e) => (e.type === 'JobIssued' ? [e.jobId] : []))
}

test('rewind: the leaf a bug made wrong, and what ran after it, run again with the fix; nothing else does', async (t) => {
  const f = setUp(t)
  const first = await jobtree(f.run())
  assert.equal(first.code, 0, first.stderr)
  assert.equal(first.stdout.trim(), '45')
  // Jobs: 0 flow; 1, 2 groups; 3 the root's total; 4–6 and 8–10 leaves (k 0–5), 7 and 11 the groups' totals.
  const digest = await logDigest(f.store)
  const dry = await jobtree(['rewind', f.store, '--job', '8', '--dry-run'])
  assert.equal(dry.code, 0, dry.stderr)
  assert.match(dry.stdout, /would rewind job 8 \(leaf\)/)
  assert.match(dry.stdout, /run again: 3 job\(s\): 3 \(total\), 8 \(leaf\), 11 \(total\)/)
  assert.match(dry.stdout, /nothing was changed/)
  assert.equal(await logDigest(f.store), digest, '--dry-run changed nothing')

  const rewound = await jobtree(['rewind', f.store, '--job', '8'])
  assert.equal(rewound.code, 0, rewound.stderr)
  assert.match(rewound.stdout, /rewound job 8 \(leaf\)/)
  assert.match(rewound.stdout, new RegExp(`jobtree run ${f.module} --store ${f.store} --restart`))
  const status = await jobtree(['status', f.store, '--json'])
  assert.equal((JSON.parse(status.stdout) as { complete: boolean }).complete, false)

  f.fix()
  writeFileSync(f.side, '')
  const again = await jobtree(f.restart())
  assert.equal(again.code, 0, again.stderr)
  assert.equal(again.stdout.trim(), '55')
  assert.deepEqual(sideLines(f), ['leaf 3', 'total 2', 'total 3'])
  const events = await readEvents(f.store)
  assert.deepEqual(
    issuedSinceRewind(events).sort((a, b) => a - b),
    [3, 8, 11],
  )
  const verify = await jobtree(['replay', f.store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  // Both histories are there: the superseded attempt is marked, the new one is not.
  const history = await jobtree(['replay', f.store, '--job', '8'])
  assert.match(history.stdout, /\(superseded by #\d+\) job 8 \(leaf\) attempt 1 succeeded/)
  assert.match(history.stdout, /JobFinished +job 8 \(leaf\) attempt 2 succeeded/)
  const rewindSeq = events.findIndex((e) => e.type === 'JobsRewound') + 1
  const before = await jobtree(['replay', f.store, '--to', String(rewindSeq - 1), '--json'])
  assert.equal((JSON.parse(before.stdout) as { finished: { ok: boolean } }).finished.ok, true, 'replay --to shows the run before the rewind')
})

test('rewind: the leader SIGKILLed at random moments while the rewound group runs again; restarted to the end', async (t) => {
  const f = setUp(t, 150)
  const first = await jobtree(f.run())
  assert.equal(first.code, 0, first.stderr)
  // The group with the wrong leaf: its attempt's leaves and total are discarded, and made again.
  const rewound = await jobtree(['rewind', f.store, '--job', '2'])
  assert.equal(rewound.code, 0, rewound.stderr)
  const nextId =
    Math.max(...(await readEvents(f.store)).flatMap((e) => (e.type === 'JobsCreated' ? [e.first + e.count - 1] : e.type === 'JobCreated' ? [e.jobId] : []))) + 1
  f.fix()
  writeFileSync(f.side, '')

  let seed = 777
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    return seed / 2 ** 32
  }
  let kills = 0
  for (let round = 0; round < 4; round++) {
    const child = startJobtree(f.restart())
    const exited = finished(child)
    // Kill once it has started its work: at a random moment in what is left.
    await leaderAnswering(f.store, () => child.exitCode !== null)
    await sleep(100 + random() * 700)
    const killed = child.kill('SIGKILL')
    const r = await exited
    if (r.signal === 'SIGKILL' && killed) kills += 1
    else if (r.code === 0) break
  }
  const last = await jobtree(f.restart())
  assert.equal(last.code, 0, last.stderr)
  assert.equal(last.stdout.trim(), '55')
  assert.ok(kills >= 1, 'the leader was killed at least once')
  const events = await readEvents(f.store)
  const at = events.findIndex((e) => e.type === 'JobsRewound')
  const ranAgain = new Set(events.slice(at + 1).flatMap((e) => (e.type === 'JobIssued' ? [e.jobId] : [])))
  // Only the rewound group, the root's total and the jobs the group made anew ran; the discarded never.
  for (const id of ranAgain) assert.ok(id === 2 || id === 3 || id >= nextId, `job ${id} ran again`)
  for (const id of [2, 3]) assert.ok(ranAgain.has(id), `job ${id} ran again`)
  for (const line of sideLines(f)) assert.match(line, /^(group 1|leaf [345]|total [23])$/)
  const verify = await jobtree(['replay', f.store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  const stats = await jobtree(['stats', f.store])
  assert.match(stats.stdout, /\(4 discarded by a rewind\)/)
})

test('rewind: what cannot be done is refused in one line, exit 2, the store as it was', async (t) => {
  const f = setUp(t, 400)
  assert.equal((await jobtree(f.run())).code, 0)
  const digest = await logDigest(f.store)
  const refused = async (args: string[], message: RegExp) => {
    const r = await jobtree(['rewind', ...args])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  }
  await refused([f.store, '--job', '40'], /cannot rewind .*: job 40 does not exist \(this run's job ids go from 0 to 11\)/)
  await refused([f.store], /rewind needs --job ID .* or --to SEQ/)
  await refused([f.store, '--job', '1', '--to', '3'], /rewind needs --job ID/)
  await refused([f.store, '--to', '9999'], /event 9999 does not exist: the log ends at event \d+/)
  await refused([join(f.dir, 'nothing'), '--job', '1'], /no store at .*nothing: nothing to rewind/)
  await refused([f.store, '--job', 'x'], /--job/)
  assert.equal(await logDigest(f.store), digest)

  // While a leader runs (the rewind before it sent jobs back for it to run).
  assert.equal((await jobtree(['rewind', f.store, '--job', '2'])).code, 0)
  const leader = startJobtree(f.restart())
  const exited = finished(leader)
  try {
    await leaderAnswering(f.store, () => false)
    await refused([f.store, '--job', '1'], /store .* has a running leader: stop it with jobtree kill .*, then rewind/)
  } finally {
    const r = await exited
    assert.equal(r.code, 0, r.stderr)
  }
})
