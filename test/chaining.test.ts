// Chaining: a worker runs a job's lone successor itself. The results must be
// those of a run without it, the log must say which attempts were chained,
// and a leader killed while chains run must resume without running again
// anything whose completion was recorded.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { run } from '../src/index.ts'
import type { JobEvent } from '../src/events/catalogue.ts'
import { createdJobs } from '../src/events/jobsOf.ts'
import { step } from './fixtures/chainFlow.ts'
import { prng } from './fixtures/dagPlan.ts'
import { unrecordedChainId } from './helpers/chains.ts'
import { finished, jobtree, readEvents, scratch, sleep, startJobtree } from './helpers/cli.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/chainFlow.ts', import.meta.url))

interface Line {
  n: number
  jobId: number
  attempt: number
}

function recordOf(file: string): Line[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [n, jobId, attempt] = l.split(' ').map(Number)
      return { n, jobId, attempt }
    })
}

/** What every run of a chain of `links` must show, however it was run: problems found, if any. */
function checkChain(links: number, lines: Line[], events: JobEvent[]): string[] {
  const problems: string[] = []
  const created = new Map<number, number>()
  const finishedAttempt = new Map<number, number>()
  for (const e of events) {
    for (const c of createdJobs(e)) if (c.spec.work.kind === 'target') created.set(c.jobId, (c.spec.work.input as { n: number }).n)
    if (e.type === 'JobFinished') {
      if (finishedAttempt.has(e.jobId)) problems.push(`job ${e.jobId} finished twice`)
      finishedAttempt.set(e.jobId, e.attempt)
    }
  }
  if (created.size !== links) problems.push(`${created.size} links created, not ${links}`)
  if (finishedAttempt.size !== links) problems.push(`${finishedAttempt.size} links finished, not ${links}`)
  const seen = new Set<number>()
  for (const line of lines) {
    // The id a chained job saw is the one the log gave it; or, when the
    // leader died before recording it, one the log never gives to another job
    // (the link runs again under a new id once the restart reruns the link before).
    const createdAs = created.get(line.jobId)
    if (createdAs !== undefined && createdAs !== line.n) problems.push(`link ${line.n} ran as job ${line.jobId}, which the log created as link ${createdAs}`)
    // Nothing runs again once its finish is recorded: a later attempt would carry a higher number.
    const done = finishedAttempt.get(line.jobId)
    if (done !== undefined && line.attempt > done) problems.push(`job ${line.jobId} ran attempt ${line.attempt} after attempt ${done} finished`)
    // A follow-on runs after the job that added it.
    if (line.n < links && !seen.has(line.n + 1)) problems.push(`link ${line.n} ran before link ${line.n + 1}`)
    seen.add(line.n)
  }
  if (seen.size !== links) problems.push(`${seen.size} links ran, not ${links}`)
  return problems
}

const chained = (events: JobEvent[]) => events.filter((e) => e.type === 'JobIssued' && e.chainedFrom !== undefined).length

for (const chaining of [true, false]) {
  test(`chaining ${chaining ? 'on' : 'off'}: a chain of follow-ons gives the same results, and the log says what was chained`, {
    timeout: 60_000,
  }, async (t) => {
    const dir = scratch(t, 'jobtree-chain-')
    const record = join(dir, 'record')
    const store = join(dir, 'store')
    const links = 300
    assert.equal(await run(step, { n: links, record }, { store, module: FIXTURE, logLevel: 'silent', chaining }), links)
    const events = await readEvents(store)
    assert.deepEqual(checkChain(links, recordOf(record), events), [])
    // Every link but the root's follow-on and one in CHAIN_IDS + 1 (where the ids set aside run out) is chained.
    if (chaining) assert.ok(chained(events) >= links - 10, `${chained(events)} of ${links} links chained`)
    else assert.equal(chained(events), 0)
    const verify = await jobtree(['replay', store, '--verify'])
    assert.equal(verify.code, 0, verify.stdout + verify.stderr)
    t.diagnostic(`${chained(events)} links chained`)
  })
}

test('chaining: a chained link that fails is retried by the leader, and the chain goes on', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t, 'jobtree-chain-fail-')
  const record = join(dir, 'record')
  const store = join(dir, 'store')
  const links = 40
  assert.equal(await run(step, { n: links, record, failOnce: [30, 10] }, { store, module: FIXTURE, logLevel: 'silent' }), links)
  const events = await readEvents(store)
  const lines = recordOf(record)
  // Each failing link ran twice; checkChain's every-link-finished-once rule holds across the retry.
  assert.equal(lines.length, links + 2)
  const failed = events.flatMap((e) => (e.type === 'JobFailed' ? [e.jobId] : []))
  assert.equal(failed.length, 2)
  for (const jobId of failed) {
    const issues = events.filter((e): e is Extract<JobEvent, { type: 'JobIssued' }> => e.type === 'JobIssued' && e.jobId === jobId)
    // Chained first (it failed in the worker that chained it), then issued again by the leader.
    assert.deepEqual(
      issues.map((e) => [e.attempt, e.chainedFrom !== undefined]),
      [
        [1, true],
        [2, false],
      ],
    )
  }
  const finishedOnce = new Set(events.flatMap((e) => (e.type === 'JobFinished' ? [e.jobId] : [])))
  assert.equal(finishedOnce.size, links)
  const verify = await jobtree(['replay', store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
})

test('chaining: the leader SIGKILLed while chains run, then restarted: every link finishes once, none runs after its finish', {
  timeout: 120_000,
}, async (t) => {
  const dir = scratch(t, 'jobtree-chain-kill-')
  const record = join(dir, 'record')
  const store = join(dir, 'store')
  const links = 3000
  const initial = [
    'run',
    FIXTURE,
    '--target',
    'step',
    '--store',
    store,
    '--input',
    JSON.stringify({ n: links, record }),
    '--no-progress',
    '--log-level',
    'warn',
  ]
  const args = () => (existsSync(join(store, 'jobtree.json')) ? [...initial, '--restart'] : initial)
  const random = prng(Number(process.env.CHAIN_KILL_SEED ?? 7))
  let kills = 0
  for (let tries = 0; kills < 5 && tries < 20; tries++) {
    const child = startJobtree(args())
    const result = finished(child)
    let exited = false
    void result.then(() => (exited = true))
    const target = recordOf(record).length + 20 + Math.floor(random() * 400)
    const deadline = Date.now() + 20_000
    while (!exited && recordOf(record).length < target && Date.now() < deadline) await sleep(5)
    if (!exited && child.kill('SIGKILL') && (await result).signal === 'SIGKILL' && existsSync(join(store, 'jobtree.json'))) kills += 1
    assert.notEqual((await result).code, 0, 'the chain finished before the kills were done: make it longer')
  }
  assert.equal(kills, 5)
  const last = await finished(startJobtree(args()))
  assert.equal(last.code, 0, last.stderr)
  assert.equal(JSON.parse(last.stdout.trim()), links)
  const events = await readEvents(store)
  assert.deepEqual(checkChain(links, recordOf(record), events), [])
  const abandoned = events.filter((e) => e.type === 'JobAbandoned').length
  assert.ok(abandoned >= 1, 'no attempt was running at a kill')
  assert.ok(chained(events) > links / 2, `${chained(events)} links chained`)
  const isUnrecorded = unrecordedChainId(events)
  const created = new Set(events.flatMap((e) => [...createdJobs(e)].map((c) => c.jobId)))
  const strays = recordOf(record).filter((line) => !created.has(line.jobId) && !isUnrecorded(line.jobId))
  assert.deepEqual(strays, [], 'runs under ids the log neither created nor set aside')
  const unrecorded = recordOf(record).filter((line) => isUnrecorded(line.jobId)).length
  const verify = await jobtree(['replay', store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  t.diagnostic(`${kills} kills, ${abandoned} abandoned attempts, ${chained(events)} of ${links} links chained, ${unrecorded} chained runs lost with a leader`)
})
