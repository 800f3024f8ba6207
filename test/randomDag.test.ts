// Random job trees with fixed seeds (test/fixtures/dag.ts, planned by
// test/fixtures/dagPlan.ts): children, follow-ons, command leaves and promise
// edges between siblings, some of them nested (a job whose value is its
// successor's value). Every job appends `start` and `end` lines to a shared
// record file, whose line order is a total order of those moments. After a run
// the test expands the same plan on its own and checks, from the record file
// and the store's log:
//   rule 1: a successor (child or follow-on) starts after its parent ended;
//   rule 2: a follow-on of P starts after everything reachable from P through
//           its children (their children and follow-ons, recursively) ended;
//   rule 3: a job handed a promise starts after the producer ended (and, for a
//           nested promise, the jobs it leads to), and got the producer's value;
//   rule 4: exactly the planned tree ran, and the root's value is right;
// and, with the leader SIGKILLed again and again, that a job whose completion
// reached the log never runs again.
//
// Attempts. Only a job's successful attempt (the one its JobFinished names)
// counts as having ended: an abandoned attempt (issued by a leader that died)
// may have written an `end` line, or not, and it has no successors, for they
// are created only when an attempt's success is recorded. Its lines can come
// late, even after the next leader started (its worker notices the leader's
// death only between jobs), so they may follow lines of jobs that ran after
// it, or its own successful attempt's lines. But every attempt, abandoned or
// not, is issued only once the events that make the job ready are in the log,
// so each `start` line of a job must follow the successful `end` of all it
// depends on: the rules are checked with a job's first `start` line of any
// attempt, which is stronger than with its successful attempt's.
//
// The checkers are in test/helpers/invariants/, shared with the chaos suite
// where the rule is the same.

import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../src/index.ts'
import type { JobEvent } from '../src/events/catalogue.ts'
import { createdJobs, type CreatedJob } from '../src/events/jobsOf.ts'
import { RV_KEY } from '../src/events/promise.ts'
import { forest, type RecordLine } from './fixtures/dag.ts'
import * as repro from './fixtures/dagRepro.ts'
import { ownValue, planNode, prng, successorPath, type Part, type PlanOptions, type Relation } from './fixtures/dagPlan.ts'
import { unrecordedChainId } from './helpers/chains.ts'
import { finished, readEvents, scratch, sleep, startJobtree, type CliResult } from './helpers/cli.ts'
import { firstAttemptSucceeds, noAttemptFailed } from './helpers/invariants/attempts.ts'
import { readLog, type LogFacts } from './helpers/invariants/logFacts.ts'
import { endsWithWorkflowFinished, finishedAsExpected, finishedValues, handedValues } from './helpers/invariants/output.ts'
import {
  createdAsExpected,
  createdAsPlanned,
  idsUnique,
  inputPathsOnce,
  inputPromises,
  inputsNamePaths,
  jobName,
  noUnplannedJobs,
  numberJobs,
} from './helpers/invariants/planShape.ts'
import { assertCaught, assertNoProblems, Problems, type Checker } from './helpers/invariants/problems.ts'
import { followOnsAfterChildren, promisesAfterProducers, successorsAfterParent } from './helpers/invariants/readiness.ts'
import {
  earlierAttemptsAbandoned,
  endedAfterStarted,
  finishedAttemptRanOnce,
  noRunAfterFinish,
  onlyPlannedRan,
  ranAsExpected,
  ranUnderItsId,
  recordedRelations,
  wholeLines,
  type RanLine,
} from './helpers/invariants/runs.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/dag.ts', import.meta.url))
const REPRO = fileURLToPath(new URL('./fixtures/dagRepro.ts', import.meta.url))

/** Trees of 50–150 jobs, one run for all of them. */
const SEEDS = [1, 3, 4, 6, 11]
/** A tree of ~400 jobs for the crash test. */
const CRASH_SEED = 9
/** The kill instants' seed; DAG_KILL_SEED=n tries others. (With this one, the first kill comes once jobs run, after the store exists.) */
const KILL_SEED = Number(process.env.DAG_KILL_SEED ?? 20240611)
const KILLS = 7
/** Jobs ask for half a core: four run at once. (More workers cost more than they gain on a small machine.) */
const MAX_CORES = 2

// ---------------------------------------------------------------------------
// The expected tree, expanded from the plan without running anything.

interface PlannedJob {
  path: string
  parent: string | undefined
  rel: Relation
  kind: 'forest' | 'node' | 'command'
  /** Successors in the order the job adds them. */
  successors: string[]
  children: string[]
  followOns: string[]
  /** The promises in its input, in order. */
  uses: Array<{ producer: string; part: Part }>
  returns: { kind: 'own' } | { kind: 'whole' | 'n'; from: string } | { kind: 'trees' }
}

type Tree = Map<string, PlannedJob>

function expandNode(
  tree: Tree,
  seed: number,
  path: string,
  depth: number,
  parent: string | undefined,
  rel: Relation,
  uses: PlannedJob['uses'],
  options: PlanOptions,
): void {
  const plan = planNode(seed, path, depth, options)
  const paths = plan.successors.map((_, i) => successorPath(path, i))
  const { returns } = plan
  tree.set(path, {
    path,
    parent,
    rel,
    kind: 'node',
    uses,
    successors: paths,
    children: paths.filter((_, i) => plan.successors[i].relation === 'child'),
    followOns: paths.filter((_, i) => plan.successors[i].relation === 'followOn'),
    returns: returns.kind === 'own' ? returns : { kind: returns.kind, from: paths[returns.from] },
  })
  plan.successors.forEach((s, i) => {
    if (s.kind === 'node') {
      expandNode(
        tree,
        seed,
        paths[i],
        depth + 1,
        path,
        s.relation,
        s.uses.map(({ from, part }) => ({ producer: paths[from], part })),
        options,
      )
    } else {
      tree.set(paths[i], {
        path: paths[i],
        parent: path,
        rel: s.relation,
        kind: 'command',
        successors: [],
        children: [],
        followOns: [],
        uses: [],
        returns: { kind: 'own' },
      })
    }
  })
}

function expandForest(seeds: number[], options: PlanOptions): Tree {
  const tree: Tree = new Map()
  const roots = seeds.map((seed) => `s${seed}`)
  tree.set('forest', {
    path: 'forest',
    parent: undefined,
    rel: 'root',
    kind: 'forest',
    successors: roots,
    children: roots,
    followOns: [],
    uses: [],
    returns: { kind: 'trees' },
  })
  for (const seed of seeds) expandNode(tree, seed, `s${seed}`, 0, 'forest', 'child', [], options)
  return tree
}

function expandTree(seed: number, options: PlanOptions): Tree {
  const tree: Tree = new Map()
  expandNode(tree, seed, `s${seed}`, 0, undefined, 'root', [], options)
  return tree
}

function planned(tree: Tree, path: string): PlannedJob {
  const job = tree.get(path)
  if (job === undefined) throw new Error(`no planned job ${path}`)
  return job
}

/** A job's value with every promise in it resolved. */
function valueOf(tree: Tree, path: string): unknown {
  const job = planned(tree, path)
  switch (job.kind) {
    case 'command':
      return 0
    case 'forest':
      return job.successors.map((root) => valueOf(tree, root))
    case 'node': {
      const { returns } = job
      if (returns.kind === 'own') return ownValue(path)
      if (returns.kind === 'whole') return valueOf(tree, returns.from)
      if (returns.kind === 'n') return { n: partOf(tree, returns.from, 'n'), path }
      throw new Error(`bad returns for ${path}`)
    }
  }
}

function partOf(tree: Tree, path: string, part: Part): unknown {
  const value = valueOf(tree, path)
  return part === 'whole' ? value : (value as Record<string, unknown>)[part]
}

/** The jobs that must have ended before a consumer of `path`'s `part` starts: the producer, and those its nested promises lead to. */
function valueDeps(tree: Tree, path: string, part: Part): string[] {
  const job = planned(tree, path)
  const { returns } = job
  if (job.kind !== 'node' || returns.kind === 'own' || returns.kind === 'trees') return [path]
  if (returns.kind === 'whole') return [path, ...valueDeps(tree, returns.from, part)]
  // { n: from.rv('n'), path }: its `path` part is its own.
  return part === 'path' ? [path] : [path, ...valueDeps(tree, returns.from, 'n')]
}

function token(job: number | undefined, path: Array<string | number>): unknown {
  return { [RV_KEY]: { job, path } }
}

/** What the log must hold as a job's value: promises are stored as tokens naming job ids. */
function storedValueOf(tree: Tree, path: string, idOf: (path: string) => number | undefined): unknown {
  const job = planned(tree, path)
  const { returns } = job
  if (job.kind === 'command') return 0
  if (returns.kind === 'trees') return job.successors.map((root) => token(idOf(root), []))
  if (returns.kind === 'own') return ownValue(path)
  if (returns.kind === 'whole') return token(idOf(returns.from), [])
  return { n: token(idOf(returns.from), ['n']), path }
}

/** Counts of the features a tree exercises, so that a change to the plan cannot quietly drop one. */
function features(tree: Tree): Record<string, number> {
  const count: Record<string, number> = {}
  const add = (key: string) => (count[key] = (count[key] ?? 0) + 1)
  for (const job of tree.values()) {
    add(`job:${job.kind}`)
    if (job.kind === 'node' && job.returns.kind !== 'own') add(`returns:${job.returns.kind}`)
    if (job.kind === 'node' && job.children.length > 0 && job.followOns.length > 0) {
      // A follow-on added before a child.
      const firstFollowOn = job.successors.findIndex((p) => job.followOns.includes(p))
      if (job.successors.slice(firstFollowOn).some((p) => job.children.includes(p))) add('successors:interleaved')
    }
    for (const { producer, part } of job.uses) {
      const p = planned(tree, producer)
      add(`promise:${p.kind === 'command' ? 'command' : p.rel}->${job.rel}`)
      add(`part:${part}`)
      if (valueDeps(tree, producer, part).length > 1) add('promise:nested')
    }
  }
  return count
}

// ---------------------------------------------------------------------------
// What happened: the record file and the log.

interface Line {
  /** 1-based line number in the record file. */
  at: number
  attempt: number
}

interface StartLine extends Line {
  got: unknown[] | undefined
  rel: string | undefined
}

interface Seen {
  starts: StartLine[]
  /** For a command, its `cmd` lines are its starts and its ends. */
  ends: Line[]
}

interface Observed {
  seen: Map<string, Seen>
  /** Every line that names its job, as the job saw itself. */
  ran: RanLine[]
  unreadable: Array<{ raw: string; at: number; why?: string }>
}

const TMPDIR_NAME = /^jobtree-\d+-(\d+)-(\d+)-/

function readRecord(lines: string[]): Observed {
  const o: Observed = { seen: new Map(), ran: [], unreadable: [] }
  lines.forEach((raw, i) => {
    if (raw === '') return
    const at = i + 1
    let line: RecordLine
    try {
      line = JSON.parse(raw) as RecordLine
    } catch {
      o.unreadable.push({ raw, at })
      return
    }
    const s = o.seen.get(line.path) ?? { starts: [], ends: [] }
    o.seen.set(line.path, s)
    if (line.e === 'cmd') {
      // A command cannot see its job id and attempt; its $TMPDIR names them.
      const m = TMPDIR_NAME.exec(basename(line.tmp))
      if (m === null) {
        o.unreadable.push({ raw, at, why: `does not tell command ${line.path}'s job and attempt by its $TMPDIR` })
        return
      }
      o.ran.push({ path: line.path, job: Number(m[1]), attempt: Number(m[2]), at })
      s.starts.push({ at, attempt: Number(m[2]), got: undefined, rel: undefined })
      s.ends.push({ at, attempt: Number(m[2]) })
      return
    }
    o.ran.push({ path: line.path, job: line.job, attempt: line.attempt, at })
    if (line.e === 'start') s.starts.push({ at, attempt: line.attempt, got: line.got, rel: line.rel })
    else s.ends.push({ at, attempt: line.attempt })
  })
  return o
}

/** The path a target job's input names (the forest's is its own). */
function targetPath(c: CreatedJob): string | undefined {
  const { work } = c.spec
  if (work.kind !== 'target') return undefined
  return work.target === 'dag.forest' ? 'forest' : (work.input as { path: string }).path
}

/** Every creation of a target job in the log, with the path its input names. */
function loggedTargets(events: readonly JobEvent[]): Array<{ jobId: number; path: string }> {
  return events.flatMap((e) =>
    [...createdJobs(e)].flatMap((c) => {
      const path = targetPath(c)
      return path === undefined ? [] : [{ jobId: c.jobId, path }]
    }),
  )
}

// ---------------------------------------------------------------------------
// The checks: the rules' checkers (test/helpers/invariants/), fed from the
// plan and what the run left.

interface CheckOptions {
  /** The leader was killed: abandoned attempts may have left lines. */
  crashes: boolean
}

function check(tree: Tree, observed: Observed, events: readonly JobEvent[], opts: CheckOptions): Problems {
  const p = new Problems()
  const log = readLog(events)
  const { seen } = observed
  const inTree = (path: string) => tree.has(path)
  p.run('record', wholeLines, observed.unreadable)
  p.run('log', noAttemptFailed, events)
  p.run('log', endsWithWorkflowFinished, events, { ok: true })

  // Job ids, from the log's numbering of successors. A target's logged input
  // names its path, a command's $TMPDIR its job id, and the record names a
  // target's job id: all must agree.
  const rootPath = [...tree.values()].find((j) => j.parent === undefined)?.path
  const numbering = numberJobs(rootPath, (path) => planned(tree, path), log)
  p.add('rule 4', numberJobs, numbering.problems)
  const { idOf: ids, pathOf } = numbering
  const idOf = (path: string) => ids.get(path)
  const name = jobName(ids)
  p.run('log', inputPathsOnce, loggedTargets(events), inTree)
  p.run(
    'log',
    inputsNamePaths,
    [...log.created.values()].map((c) => ({ jobId: c.jobId, path: targetPath(c) })).filter((c) => c.path !== undefined),
    pathOf,
    ids,
  )
  p.run('record', ranUnderItsId, observed.ran, inTree, ids)
  p.run('rule 4', onlyPlannedRan, observed.ran, inTree)
  p.run('rule 4', noUnplannedJobs, log.created, pathOf)
  p.run('rule 4', idsUnique, ids)
  p.run('rule 4', createdAsExpected, tree.keys(), new Set(tree.keys()), ids, log.created)

  // Shape, attempts, values in the log, of each job created.
  const created = [...tree.values()].flatMap((job) => {
    const id = ids.get(job.path)
    const c = id === undefined ? undefined : log.created.get(id)
    return id === undefined || c === undefined ? [] : [{ job, id, created: c, name: name(job.path), s: seen.get(job.path) ?? { starts: [], ends: [] } }]
  })
  p.run(
    'rule 4',
    ranAsExpected,
    created.map(({ name, s }) => ({ name, runs: true, ran: s.starts, issued: 0 })),
  )
  const ran = created.filter(({ s }) => s.starts.length > 0)
  p.run(
    'rule 4',
    createdAsPlanned,
    ran.map(({ job, created: c, name }) => {
      const parent = { name: job.parent ?? 'nobody', id: job.parent === undefined ? -1 : ids.get(job.parent) }
      return { name, created: c, command: job.kind === 'command', kind: job.kind, rel: job.rel, parent }
    }),
  )
  p.run(
    'record',
    recordedRelations,
    ran.map(({ job, name, s }) => ({ name, rel: job.rel, recorded: s.starts.map((l) => l.rel) })),
  )
  p.run(
    'log',
    finishedAsExpected,
    ran.map(({ id, name }) => ({ name, succeeds: true, finishes: log.finishes.get(id) ?? [] })),
  )
  const done = ran.flatMap((j) => (log.finishes.get(j.id) ?? []).slice(0, 1).map((finish) => ({ ...j, finish, ok: finish.attempt })))
  p.run(
    'log',
    finishedValues,
    done.map(({ job, name, finish }) => ({ name, finish, expected: storedValueOf(tree, job.path, idOf) })),
  )
  if (!opts.crashes)
    p.run(
      'log',
      firstAttemptSucceeds,
      done.map(({ name, ok }) => ({ name, finished: ok })),
    )
  p.run(
    'record',
    finishedAttemptRanOnce,
    done.map(({ name, ok, s }) => ({ name, finished: ok, marks: { start: s.starts, end: s.ends } })),
  )
  const attempts = done.map(({ job, id, name, ok, s }) => ({ name, id, finished: ok, ran: job.kind === 'command' ? s.starts : [...s.starts, ...s.ends] }))
  p.run('no rerun', noRunAfterFinish, attempts)
  p.run('record', earlierAttemptsAbandoned, attempts, log.abandoned)
  const okStart = (j: (typeof done)[number]) => j.s.starts.find((l) => l.attempt === j.ok)?.at
  const okEnd = (j: (typeof done)[number]) => j.s.ends.find((l) => l.attempt === j.ok)?.at
  p.run(
    'record',
    endedAfterStarted,
    done.map((j) => ({ name: j.name, start: okStart(j), end: okEnd(j) })),
  )
  // The promises in its logged input name the right jobs.
  const consumers = done.filter(({ job, created: c }) => job.kind === 'node' && c.spec.work.kind === 'target')
  p.run(
    'log',
    inputPromises,
    consumers.map(({ job, name, created: c }) => ({
      name,
      got: ((c.spec.work as { input: unknown }).input as { got: unknown }).got,
      expected: job.uses.map(({ producer, part }) => token(idOf(producer), part === 'whole' ? [] : [part])),
    })),
  )

  // Rules 1 to 3: when jobs started, against what they waited for.
  const end = new Map(done.flatMap((j) => (okEnd(j) === undefined ? [] : [[j.job.path, okEnd(j) as number]])))
  const firstStart = new Map(done.map((j) => [j.job.path, Math.min(...j.s.starts.map((l) => l.at))]))
  const m = { firstStart, end }
  p.run('rule 1', successorsAfterParent, tree.values(), m, name)
  p.run('rule 2', followOnsAfterChildren, tree, m, name)
  const handed = [...tree.values()].filter((job) => job.uses.length > 0 && firstStart.has(job.path))
  p.run(
    'rule 3',
    handedValues,
    handed.map((job) => ({
      name: name(job.path),
      starts: seen.get(job.path)?.starts ?? [],
      expected: job.uses.map(({ producer, part }) => partOf(tree, producer, part)),
      from: job.uses.map((u) => `${u.producer}:${u.part}`).join(', '),
    })),
  )
  p.run(
    'rule 3',
    promisesAfterProducers,
    handed.map((job) => ({
      path: job.path,
      uses: job.uses.map(({ producer, part }) => ({ producer, rv: `rv(${part === 'whole' ? '' : `'${part}'`})`, deps: valueDeps(tree, producer, part) })),
    })),
    m,
    name,
  )
  return p
}

function recordFile(file: string): string[] {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
  return text === '' ? [] : text.replace(/\n$/, '').split('\n')
}

/** The job id a record line names (-1 if it names none). */
function recordedJob(raw: string): number {
  try {
    const line = JSON.parse(raw) as RecordLine
    if (line.e !== 'cmd') return line.job
    const m = TMPDIR_NAME.exec(basename(line.tmp))
    return m === null ? -1 : Number(m[1])
  } catch {
    return -1
  }
}

async function checkRun(
  t: TestContext,
  what: string,
  tree: Tree,
  record: string,
  store: string,
  opts: CheckOptions,
): Promise<{ events: JobEvent[]; log: LogFacts; lines: string[] }> {
  const events = await readEvents(store)
  const unrecorded = unrecordedChainId(events)
  const all = recordFile(record)
  const lines = all.filter((raw) => !unrecorded(recordedJob(raw)))
  assertNoProblems(what, check(tree, readRecord(lines), events, opts).list)
  t.diagnostic(`${what}: ${tree.size} jobs, ${JSON.stringify(features(tree))}, ${all.length - lines.length} record lines of chained runs lost with a leader`)
  return { events, log: readLog(events), lines }
}

// The checks must have teeth: records of a good run, spoilt on purpose, must be
// caught by the checker aimed at each.

function lineOf(lines: string[], e: RecordLine['e'], path: string): number {
  const i = lines.findIndex((raw) => {
    const l = JSON.parse(raw) as RecordLine
    return l.e === e && l.path === path
  })
  assert.ok(i >= 0, `no ${e} line for ${path}`)
  return i
}

/** The lines with line `from` moved to just before line `to`. */
function moveBefore(lines: string[], from: number, to: number): string[] {
  const out = lines.slice()
  const [moved] = out.splice(from, 1)
  out.splice(from < to ? to - 1 : to, 0, moved)
  return out
}

interface SpoiltRecord {
  rule: string
  how: string
  by: Checker[]
  lines: string[]
}

function spoilt(tree: Tree, lines: string[]): SpoiltRecord[] {
  const jobs = [...tree.values()]
  const cases: SpoiltRecord[] = []
  const child = jobs.find((j) => j.kind === 'node' && j.rel === 'child' && j.parent !== undefined && planned(tree, j.parent).kind === 'node')
  assert.ok(child?.parent !== undefined)
  cases.push({
    rule: 'rule 1',
    how: `${child.path} starts before its parent ends`,
    by: [successorsAfterParent],
    lines: moveBefore(lines, lineOf(lines, 'start', child.path), lineOf(lines, 'end', child.parent)),
  })
  // A follow-on whose parent's first child has a follow-on of its own: start it before that one ends.
  const followOn = jobs.find(
    (j) =>
      j.kind === 'node' &&
      j.rel === 'followOn' &&
      planned(tree, j.parent ?? '').children.some((c) => planned(tree, c).followOns.some((f) => planned(tree, f).kind === 'node')),
  )
  assert.ok(followOn?.parent !== undefined)
  const nephew = planned(tree, followOn.parent)
    .children.flatMap((c) => planned(tree, c).followOns)
    .find((f) => planned(tree, f).kind === 'node') as string
  cases.push({
    rule: 'rule 2',
    how: `${followOn.path} starts before ${nephew} ends`,
    by: [followOnsAfterChildren],
    lines: moveBefore(lines, lineOf(lines, 'start', followOn.path), lineOf(lines, 'end', nephew)),
  })
  // A child handed an earlier child's value: start it before the producer ends, or change what it got.
  const consumer = jobs.find((j) => j.kind === 'node' && j.rel === 'child' && j.uses.some((u) => planned(tree, u.producer).kind === 'node'))
  const producer = consumer?.uses.find((u) => planned(tree, u.producer).kind === 'node')?.producer
  assert.ok(consumer !== undefined && producer !== undefined)
  cases.push({
    rule: 'rule 3',
    how: `${consumer.path} starts before ${producer} ends`,
    by: [promisesAfterProducers],
    lines: moveBefore(lines, lineOf(lines, 'start', consumer.path), lineOf(lines, 'end', producer)),
  })
  const wrongValue = lines.slice()
  const at = lineOf(lines, 'start', consumer.path)
  const line = JSON.parse(wrongValue[at]) as RecordLine & { e: 'start' }
  wrongValue[at] = JSON.stringify({ ...line, got: line.got.map(() => 'wrong') })
  cases.push({ rule: 'rule 3', how: `${consumer.path} got a wrong value`, by: [handedValues], lines: wrongValue })
  // A command leaf that never ran.
  const command = jobs.find((j) => j.kind === 'command') as PlannedJob
  cases.push({
    rule: 'rule 4',
    how: `${command.path} never ran`,
    by: [ranAsExpected],
    lines: lines.filter((raw) => (JSON.parse(raw) as RecordLine).path !== command.path),
  })
  // A finished job that runs again.
  const end = JSON.parse(lines[lineOf(lines, 'end', child.path)]) as RecordLine & { e: 'end' }
  const again: RecordLine = { e: 'start', path: child.path, job: end.job, attempt: end.attempt + 1, rel: child.rel, got: [], pid: 1 }
  cases.push({ rule: 'no rerun', how: `${child.path} runs again`, by: [noRunAfterFinish], lines: [...lines, JSON.stringify(again)] })
  return cases
}

function assertChecksHaveTeeth(tree: Tree, lines: string[], events: readonly JobEvent[], opts: CheckOptions): void {
  assertCaught(spoilt(tree, lines).map((c) => ({ ...c, problems: check(tree, readRecord(c.lines), events, opts) })))
}

// ---------------------------------------------------------------------------
// The cases.

/** Attempts the log records as chained by a worker (JobIssued with chainedFrom). */
function chainedIssues(events: readonly JobEvent[]): number {
  return events.filter((e) => e.type === 'JobIssued' && e.chainedFrom !== undefined).length
}

async function runForest(t: TestContext, options: PlanOptions, chaining = true): Promise<void> {
  const tree = expandForest(SEEDS, options)
  for (const seed of SEEDS) {
    const size = [...tree.keys()].filter((p) => p === `s${seed}` || p.startsWith(`s${seed}.`)).length
    assert.ok(size >= 50 && size <= 300, `seed ${seed} plans ${size} jobs, not 50–300`)
  }
  const f = features(tree)
  for (const key of [
    'job:command',
    'returns:whole',
    'returns:n',
    'part:whole',
    'part:n',
    'part:path',
    'promise:child->child',
    'promise:child->followOn',
    'promise:followOn->followOn',
    'successors:interleaved',
  ]) {
    assert.ok((f[key] ?? 0) > 0, `the planned trees exercise no ${key}: ${JSON.stringify(f)}`)
  }
  assert.ok((f['promise:nested'] ?? 0) > 0, `no nested promise edge: ${JSON.stringify(f)}`)
  const dir = scratch(t, 'jobtree-dag-')
  const record = join(dir, 'record')
  const store = join(dir, 'store')
  const value = await run(forest, { seeds: SEEDS, plan: options, record }, { store, module: FIXTURE, maxCores: MAX_CORES, logLevel: 'silent', chaining })
  assert.deepEqual(value, valueOf(tree, 'forest'), 'rule 4: the root value returned by run()')
  const { log, lines, events } = await checkRun(t, `${SEEDS.length} seeds`, tree, record, store, { crashes: false })
  const chained = chainedIssues(events)
  if (chaining) assert.ok(chained > 0, 'no job was chained')
  else assert.equal(chained, 0, 'jobs were chained with chaining off')
  t.diagnostic(`${chained} attempts chained`)
  assert.equal(log.abandoned.size, 0)
  assertChecksHaveTeeth(tree, lines, events, { crashes: false })
}

test(`random DAG: ${SEEDS.length} seeds in one run, every kind of promise edge, through run()`, { timeout: 60_000 }, async (t) => {
  await runForest(t, { shape: 'normal' })
})

test(`random DAG: the same ${SEEDS.length} seeds with chaining off`, { timeout: 60_000 }, async (t) => {
  await runForest(t, { shape: 'normal' }, false)
})

function recordLines(file: string): number {
  if (!existsSync(file)) return 0
  let n = 0
  for (const byte of readFileSync(file)) if (byte === 10) n += 1
  return n
}

/** Runs `jobtree` to the end, or kills it and fails after `ms`. */
async function runToEnd(args: string[], ms: number): Promise<CliResult> {
  const child = startJobtree(args)
  const result = finished(child)
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  try {
    const r = await result
    if (r.signal === 'SIGKILL') assert.fail(`jobtree ${args.join(' ')} did not finish in ${ms} ms:\n${r.stderr}`)
    return r
  } finally {
    clearTimeout(timer)
  }
}

test(`random DAG: a bigger tree, the leader SIGKILLed ${KILLS} times at random instants and restarted, through the CLI`, { timeout: 90_000 }, async (t) => {
  const options: PlanOptions = { shape: 'big' }
  const tree = expandTree(CRASH_SEED, options)
  assert.ok(tree.size >= 300, `the crash tree has only ${tree.size} jobs`)
  const dir = scratch(t, 'jobtree-dag-crash-')
  const record = join(dir, 'record')
  const store = join(dir, 'store')
  const input = { seed: CRASH_SEED, path: `s${CRASH_SEED}`, depth: 0, plan: options, rel: 'root', record, got: [] }
  const initial = [
    'run',
    FIXTURE,
    '--target',
    'dag.node',
    '--store',
    store,
    '--input',
    JSON.stringify(input),
    '--max-cores',
    String(MAX_CORES),
    '--no-progress',
    '--log-level',
    'warn',
  ]
  // Until the store exists, the run is started again from scratch.
  const args = () => (existsSync(join(store, 'jobtree.json')) ? [...initial, '--restart'] : initial)
  const random = prng(KILL_SEED)
  let kills = 0
  let early: CliResult | undefined
  const instants: string[] = []
  while (kills < KILLS) {
    const child = startJobtree(args())
    const result = finished(child)
    let exited = false
    void result.then(() => (exited = true))
    const before = recordLines(record)
    if (random() < 0.3) {
      // In the leader's start-up: opening the store, replaying, resuming, the first issues.
      const ms = Math.round(50 + random() * 650)
      await sleep(ms)
      instants.push(`${ms}ms`)
    } else {
      // While jobs run: once the record has grown by a random number of lines.
      const lines = 3 + Math.floor(random() * 60)
      const deadline = Date.now() + 20_000
      while (!exited && recordLines(record) < before + lines && Date.now() < deadline) await sleep(5)
      instants.push(`+${lines} lines`)
    }
    const killed = !exited && child.kill('SIGKILL')
    const r = await result
    if (killed && r.signal === 'SIGKILL') {
      // A kill before the store exists does not count: the next start is not a restart.
      if (existsSync(join(store, 'jobtree.json'))) kills += 1
      continue
    }
    if (r.code === 0) {
      early = r
      break
    }
    assert.fail(`leader exited with ${r.code ?? r.signal} before it was killed (kill instants: ${instants.join(', ')}):\n${r.stderr}`)
  }
  assert.equal(early, undefined, `the run finished after only ${kills} kills: make the crash tree bigger (kill instants: ${instants.join(', ')})`)
  const final = await runToEnd(args(), 60_000)
  assert.equal(final.code, 0, final.stderr)
  assert.deepEqual(JSON.parse(final.stdout.trim()), valueOf(tree, `s${CRASH_SEED}`), 'rule 4: the root value printed by the CLI')
  const { events, log } = await checkRun(t, `seed ${CRASH_SEED} with ${kills} kills`, tree, record, store, { crashes: true })
  // A leader killed in its start-up may not have recorded its resumption.
  const resumed = events.filter((e) => e.type === 'WorkflowResumed').length
  assert.ok(resumed >= 1 && resumed <= kills + 1, `${resumed} WorkflowResumed events after ${kills} kills`)
  assert.ok(log.abandoned.size > 0, 'some attempts were running at a kill')
  assert.ok(chainedIssues(events) > 0, 'no job was chained')
  t.diagnostic(
    `kill instants: ${instants.join(', ')}; ${resumed} resumptions, ${log.abandoned.size} abandoned attempts, ${chainedIssues(events)} chained attempts`,
  )
})

test("random DAG: a job waiting for a sibling that returns its follow-on's promise (test/fixtures/dagRepro.ts)", { timeout: 30_000 }, async (t) => {
  const dir = scratch(t, 'jobtree-dag-repro-')
  assert.deepEqual(await run(repro.main, null, { store: join(dir, 'store'), module: REPRO, logLevel: 'silent' }), { n: 1 })
})
