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

import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { run } from '../src/index.ts'
import { createdJobs, type CreatedJob, type JobEvent, type JobFinished } from '../src/events/catalogue.ts'
import { RV_KEY } from '../src/events/promise.ts'
import { forest, type RecordLine } from './fixtures/dag.ts'
import * as repro from './fixtures/dagRepro.ts'
import { ownValue, planNode, prng, successorPath, type Part, type PlanOptions, type Relation } from './fixtures/dagPlan.ts'
import { unrecordedChainId } from './helpers/chains.ts'
import { finished, readEvents, scratch, sleep, startJobtree, type CliResult } from './helpers/cli.ts'

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

function expandNode(tree: Tree, seed: number, path: string, depth: number, parent: string | undefined, rel: Relation, uses: PlannedJob['uses'], options: PlanOptions): void {
  const plan = planNode(seed, path, depth, options)
  const paths = plan.successors.map((_, i) => successorPath(path, i))
  const { returns } = plan
  tree.set(path, {
    path, parent, rel, kind: 'node', uses,
    successors: paths,
    children: paths.filter((_, i) => plan.successors[i].relation === 'child'),
    followOns: paths.filter((_, i) => plan.successors[i].relation === 'followOn'),
    returns: returns.kind === 'own' ? returns : { kind: returns.kind, from: paths[returns.from] },
  })
  plan.successors.forEach((s, i) => {
    if (s.kind === 'node') {
      expandNode(tree, seed, paths[i], depth + 1, path, s.relation, s.uses.map(({ from, part }) => ({ producer: paths[from], part })), options)
    } else {
      tree.set(paths[i], { path: paths[i], parent: path, rel: s.relation, kind: 'command', successors: [], children: [], followOns: [], uses: [], returns: { kind: 'own' } })
    }
  })
}

function expandForest(seeds: number[], options: PlanOptions): Tree {
  const tree: Tree = new Map()
  const roots = seeds.map((seed) => `s${seed}`)
  tree.set('forest', { path: 'forest', parent: undefined, rel: 'root', kind: 'forest', successors: roots, children: roots, followOns: [], uses: [], returns: { kind: 'trees' } })
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
  jobs: Set<number>
  starts: StartLine[]
  /** For a command, its `cmd` lines are its starts and its ends. */
  ends: Line[]
}

interface Observed {
  seen: Map<string, Seen>
  problems: string[]
}

const TMPDIR_NAME = /^jobtree-\d+-(\d+)-(\d+)-/

function readRecord(lines: string[]): Observed {
  const seen = new Map<string, Seen>()
  const problems: string[] = []
  lines.forEach((raw, i) => {
    if (raw === '') return
    const at = i + 1
    let line: RecordLine
    try {
      line = JSON.parse(raw) as RecordLine
    } catch {
      problems.push(`record line ${at} is not JSON (torn append?): ${raw.slice(0, 200)}`)
      return
    }
    const s = seen.get(line.path) ?? { jobs: new Set<number>(), starts: [], ends: [] }
    seen.set(line.path, s)
    if (line.e === 'cmd') {
      // A command cannot see its job id and attempt; its $TMPDIR names them.
      const m = TMPDIR_NAME.exec(basename(line.tmp))
      if (m === null) {
        problems.push(`record line ${at}: cannot tell command ${line.path}'s job and attempt from its $TMPDIR ${line.tmp}`)
        return
      }
      s.jobs.add(Number(m[1]))
      s.starts.push({ at, attempt: Number(m[2]), got: undefined, rel: undefined })
      s.ends.push({ at, attempt: Number(m[2]) })
    } else if (line.e === 'start') {
      s.jobs.add(line.job)
      s.starts.push({ at, attempt: line.attempt, got: line.got, rel: line.rel })
    } else {
      s.jobs.add(line.job)
      s.ends.push({ at, attempt: line.attempt })
    }
  })
  return { seen, problems }
}

interface LogFacts {
  created: Map<number, CreatedJob>
  finishes: Map<number, JobFinished[]>
  abandoned: Set<string>
  /** Job ids of the `dag.node` and `dag.forest` jobs, by the path in their input. */
  idOfTargetPath: Map<string, number>
  problems: string[]
}

function readLog(events: JobEvent[]): LogFacts {
  const created = new Map<number, CreatedJob>()
  const finishes = new Map<number, JobFinished[]>()
  const abandoned = new Set<string>()
  const idOfTargetPath = new Map<string, number>()
  const problems: string[] = []
  for (const e of events) {
    switch (e.type) {
      case 'JobCreated':
      case 'JobsCreated':
        for (const c of createdJobs(e)) {
          created.set(c.jobId, c)
          const { work } = c.spec
          if (work.kind !== 'target') continue
          const path = work.target === 'dag.forest' ? 'forest' : (work.input as { path: string }).path
          if (idOfTargetPath.has(path)) problems.push(`log: path ${path} created twice (jobs ${idOfTargetPath.get(path)} and ${c.jobId})`)
          idOfTargetPath.set(path, c.jobId)
        }
        break
      case 'JobFinished':
        finishes.set(e.jobId, [...(finishes.get(e.jobId) ?? []), e])
        break
      case 'JobAbandoned':
        abandoned.add(`${e.jobId}:${e.attempt}`)
        break
      case 'JobFailed':
        problems.push(`log: job ${e.jobId} attempt ${e.attempt} failed: ${JSON.stringify(e.reason).slice(0, 300)}`)
        break
      case 'JobFailedCompletely':
        problems.push(`log: job ${e.jobId} failed completely`)
        break
    }
  }
  const last = events.at(-1)
  if (last?.type !== 'WorkflowFinished' || !last.ok) problems.push(`log: the last event is not a successful WorkflowFinished but ${JSON.stringify(last)?.slice(0, 300)}`)
  return { created, finishes, abandoned, idOfTargetPath, problems }
}

// ---------------------------------------------------------------------------
// The checks.

interface CheckOptions {
  /** The leader was killed: abandoned attempts may have left lines. */
  crashes: boolean
}

function check(tree: Tree, observed: Observed, log: LogFacts, opts: CheckOptions): string[] {
  const problems = [...observed.problems, ...log.problems]
  const { seen } = observed

  // Job ids, from the log's numbering of successors: the ones an attempt adds
  // get ids from JobFinished's `first` on, children (in the order added) before
  // follow-ons. A target's logged input names its path, a command's $TMPDIR
  // its job id, and the record names a target's job id: all must agree.
  const ids = new Map<string, number>()
  const rootId = [...log.created.values()].find((c) => c.relation === 'root')?.jobId
  const number = (path: string, id: number): void => {
    ids.set(path, id)
    const job = planned(tree, path)
    if (job.kind === 'command') return
    const finishes = log.finishes.get(id)
    if (finishes === undefined || finishes.length === 0) return
    const { first, children, followOns } = finishes[0].successors
    if (children !== job.children.length || followOns !== job.followOns.length) {
      problems.push(`rule 4: ${path} (job ${id}) added ${children} children and ${followOns} follow-ons, planned ${job.children.length} and ${job.followOns.length}`)
      return
    }
    job.children.forEach((c, i) => number(c, first + i))
    job.followOns.forEach((f, i) => number(f, first + children + i))
  }
  const rootPath = [...tree.values()].find((j) => j.parent === undefined)?.path
  if (rootId === undefined || rootPath === undefined) problems.push('rule 4: no root job in the log')
  else number(rootPath, rootId)
  for (const [path, job] of tree) {
    const id = ids.get(path)
    if (id === undefined) continue
    const s = seen.get(path)
    if (s !== undefined && [...s.jobs].some((j) => j !== id)) problems.push(`record: ${path} recorded job ids ${[...s.jobs].join(', ')}, but the log numbered it job ${id}`)
    if (job.kind !== 'command' && log.idOfTargetPath.get(path) !== id) {
      problems.push(`log: ${path} should be job ${id}, but the job created with that path in its input is ${log.idOfTargetPath.get(path)}`)
    }
  }
  const idOf = (path: string) => ids.get(path)
  const name = (path: string) => `${path} (job ${ids.get(path) ?? '?'})`
  for (const path of seen.keys()) if (!tree.has(path)) problems.push(`rule 4: ${path} ran, but it is not in the planned tree`)
  for (const path of log.idOfTargetPath.keys()) if (!tree.has(path)) problems.push(`rule 4: the log created ${path}, which is not in the planned tree`)
  if (log.created.size !== tree.size) problems.push(`rule 4: the log created ${log.created.size} jobs, the plan has ${tree.size}`)
  const owner = new Map<number, string>()
  for (const [path, id] of ids) {
    if (owner.has(id)) problems.push(`rule 4: job ${id} is both ${owner.get(id)} and ${path}`)
    owner.set(id, path)
  }

  // Shape, attempts, values in the log.
  const endAt = new Map<string, number>()
  const firstStartAt = new Map<string, number>()
  for (const [path, job] of tree) {
    const id = ids.get(path)
    const s = seen.get(path)
    if (id === undefined) continue
    const created = log.created.get(id)
    if (created === undefined) {
      problems.push(`rule 4: ${name(path)} was never created in the log`)
      continue
    }
    if (s === undefined || s.starts.length === 0) {
      problems.push(`rule 4: ${name(path)} never ran (no line in the record)`)
      continue
    }
    const parentId = job.parent === undefined ? -1 : ids.get(job.parent)
    if (created.parent !== parentId || created.relation !== job.rel) {
      problems.push(`rule 4: ${name(path)} was created as a ${created.relation} of job ${created.parent}, planned as a ${job.rel} of ${job.parent ?? 'nobody'} (job ${parentId})`)
    }
    if ((created.spec.work.kind === 'command') !== (job.kind === 'command')) problems.push(`rule 4: ${name(path)} is a ${created.spec.work.kind} job, planned as a ${job.kind}`)
    for (const start of s.starts) {
      if (start.rel !== undefined && start.rel !== job.rel) problems.push(`record: ${name(path)} says it is a ${start.rel}, planned as a ${job.rel}`)
    }

    const finishes = log.finishes.get(id) ?? []
    if (finishes.length !== 1) {
      problems.push(`log: ${name(path)} has ${finishes.length} JobFinished events (attempts ${finishes.map((f) => f.attempt).join(', ')}), not exactly one`)
      if (finishes.length === 0) continue
    }
    const { attempt: ok, value } = finishes[0]
    const expectedStored = storedValueOf(tree, path, idOf)
    if (!isDeepStrictEqual(value, expectedStored)) {
      problems.push(`log: ${name(path)} finished with value ${JSON.stringify(value)}, expected ${JSON.stringify(expectedStored)}`)
    }
    if (!opts.crashes && ok !== 1) problems.push(`log: ${name(path)} succeeded on attempt ${ok} in a run without crashes`)
    const okStarts = s.starts.filter((l) => l.attempt === ok)
    const okEnds = s.ends.filter((l) => l.attempt === ok)
    if (okStarts.length !== 1 || okEnds.length !== 1) {
      problems.push(`record: ${name(path)}'s successful attempt ${ok} has ${okStarts.length} start and ${okEnds.length} end lines, not one of each`)
    }
    for (const l of job.kind === 'command' ? s.starts : [...s.starts, ...s.ends]) {
      if (l.attempt > ok) problems.push(`no rerun: ${name(path)} ran attempt ${l.attempt} (record line ${l.at}) after attempt ${ok} had finished`)
      else if (l.attempt < ok && !log.abandoned.has(`${id}:${l.attempt}`)) {
        problems.push(`record: ${name(path)} ran attempt ${l.attempt} (line ${l.at}), which neither succeeded nor was abandoned`)
      }
    }
    if (okStarts.length > 0 && okEnds.length > 0 && okEnds[0].at < okStarts[0].at) problems.push(`record: ${name(path)} ended (line ${okEnds[0].at}) before it started (line ${okStarts[0].at})`)
    if (okEnds.length > 0) endAt.set(path, okEnds[0].at)
    firstStartAt.set(path, Math.min(...s.starts.map((l) => l.at)))

    // The promises in its logged input name the right jobs.
    if (job.kind === 'node' && created.spec.work.kind === 'target') {
      const got = (created.spec.work.input as { got: unknown }).got
      const expected = job.uses.map(({ producer, part }) => token(idOf(producer), part === 'whole' ? [] : [part]))
      if (!isDeepStrictEqual(got, expected)) problems.push(`log: ${name(path)} was created with promises ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`)
    }
  }

  // Rule 1 and rule 2.
  const subtreeEnd = new Map<string, { at: number; path: string }>()
  const lastEndIn = (path: string): { at: number; path: string } => {
    const known = subtreeEnd.get(path)
    if (known !== undefined) return known
    let last = { at: endAt.get(path) ?? -Infinity, path }
    for (const s of planned(tree, path).successors) {
      const sub = lastEndIn(s)
      if (sub.at > last.at) last = sub
    }
    subtreeEnd.set(path, last)
    return last
  }
  for (const [path, job] of tree) {
    const start = firstStartAt.get(path)
    if (start === undefined) continue
    if (job.parent !== undefined) {
      const parentEnd = endAt.get(job.parent)
      if (parentEnd !== undefined && start < parentEnd) {
        problems.push(`rule 1: ${job.rel} ${name(path)} started at record line ${start}, before its parent ${name(job.parent)} ended at line ${parentEnd}`)
      }
    }
    if (job.rel === 'followOn' && job.parent !== undefined) {
      for (const child of planned(tree, job.parent).children) {
        const last = lastEndIn(child)
        if (start < last.at) {
          problems.push(`rule 2: follow-on ${name(path)} started at record line ${start}, before ${name(last.path)} (reachable from its parent through child ${name(child)}) ended at line ${last.at}`)
        }
      }
    }
  }

  // Rule 3.
  for (const [path, job] of tree) {
    const start = firstStartAt.get(path)
    const s = seen.get(path)
    if (start === undefined || s === undefined || job.uses.length === 0) continue
    const expected = job.uses.map(({ producer, part }) => partOf(tree, producer, part))
    for (const l of s.starts) {
      if (!isDeepStrictEqual(l.got, expected)) {
        problems.push(`rule 3: ${name(path)} attempt ${l.attempt} (line ${l.at}) got ${JSON.stringify(l.got)}, expected ${JSON.stringify(expected)} from ${job.uses.map((u) => `${u.producer}:${u.part}`).join(', ')}`)
      }
    }
    for (const { producer, part } of job.uses) {
      for (const dep of valueDeps(tree, producer, part)) {
        const end = endAt.get(dep)
        if (end !== undefined && start < end) {
          const via = dep === producer ? '' : ` (its value leads there through a nested promise)`
          problems.push(`rule 3: ${name(path)} started at record line ${start}, before ${name(dep)} ended at line ${end}, though it was handed ${name(producer)}'s rv(${part === 'whole' ? '' : `'${part}'`})${via}`)
        }
      }
    }
  }
  return problems
}

function assertNoProblems(what: string, problems: string[]): void {
  if (problems.length === 0) return
  const shown = problems.slice(0, 40)
  assert.fail(`${what}: ${problems.length} problem(s)${problems.length > shown.length ? ` (the first ${shown.length})` : ''}:\n  ${shown.join('\n  ')}`)
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

async function checkRun(t: TestContext, what: string, tree: Tree, record: string, store: string, opts: CheckOptions): Promise<{ events: JobEvent[]; log: LogFacts; lines: string[] }> {
  const events = await readEvents(store)
  const log = readLog(events)
  const unrecorded = unrecordedChainId(events)
  const all = recordFile(record)
  const lines = all.filter((raw) => !unrecorded(recordedJob(raw)))
  assertNoProblems(what, check(tree, readRecord(lines), log, opts))
  t.diagnostic(`${what}: ${tree.size} jobs, ${JSON.stringify(features(tree))}, ${all.length - lines.length} record lines of chained runs lost with a leader`)
  return { events, log, lines }
}

// The checks must have teeth: records of a good run, spoilt on purpose, must be caught.

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

function spoilt(tree: Tree, lines: string[]): Array<{ rule: string; how: string; lines: string[] }> {
  const jobs = [...tree.values()]
  const cases: Array<{ rule: string; how: string; lines: string[] }> = []
  const child = jobs.find((j) => j.kind === 'node' && j.rel === 'child' && j.parent !== undefined && planned(tree, j.parent).kind === 'node')
  assert.ok(child?.parent !== undefined)
  cases.push({ rule: 'rule 1', how: `${child.path} starts before its parent ends`, lines: moveBefore(lines, lineOf(lines, 'start', child.path), lineOf(lines, 'end', child.parent)) })
  // A follow-on whose parent's first child has a follow-on of its own: start it before that one ends.
  const followOn = jobs.find((j) => j.kind === 'node' && j.rel === 'followOn' && planned(tree, j.parent ?? '').children.some((c) => planned(tree, c).followOns.some((f) => planned(tree, f).kind === 'node')))
  assert.ok(followOn?.parent !== undefined)
  const nephew = planned(tree, followOn.parent).children.flatMap((c) => planned(tree, c).followOns).find((f) => planned(tree, f).kind === 'node') as string
  cases.push({ rule: 'rule 2', how: `${followOn.path} starts before ${nephew} ends`, lines: moveBefore(lines, lineOf(lines, 'start', followOn.path), lineOf(lines, 'end', nephew)) })
  // A child handed an earlier child's value: start it before the producer ends, or change what it got.
  const consumer = jobs.find((j) => j.kind === 'node' && j.rel === 'child' && j.uses.some((u) => planned(tree, u.producer).kind === 'node'))
  const producer = consumer?.uses.find((u) => planned(tree, u.producer).kind === 'node')?.producer
  assert.ok(consumer !== undefined && producer !== undefined)
  cases.push({ rule: 'rule 3', how: `${consumer.path} starts before ${producer} ends`, lines: moveBefore(lines, lineOf(lines, 'start', consumer.path), lineOf(lines, 'end', producer)) })
  const wrongValue = lines.slice()
  const at = lineOf(lines, 'start', consumer.path)
  const line = JSON.parse(wrongValue[at]) as RecordLine & { e: 'start' }
  wrongValue[at] = JSON.stringify({ ...line, got: line.got.map(() => 'wrong') })
  cases.push({ rule: 'rule 3', how: `${consumer.path} got a wrong value`, lines: wrongValue })
  // A command leaf that never ran.
  const command = jobs.find((j) => j.kind === 'command') as PlannedJob
  cases.push({ rule: 'rule 4', how: `${command.path} never ran`, lines: lines.filter((raw) => (JSON.parse(raw) as RecordLine).path !== command.path) })
  // A finished job that runs again.
  const end = JSON.parse(lines[lineOf(lines, 'end', child.path)]) as RecordLine & { e: 'end' }
  const again: RecordLine = { e: 'start', path: child.path, job: end.job, attempt: end.attempt + 1, rel: child.rel, got: [], pid: 1 }
  cases.push({ rule: 'no rerun', how: `${child.path} runs again`, lines: [...lines, JSON.stringify(again)] })
  return cases
}

function assertCaught(tree: Tree, lines: string[], log: LogFacts, opts: CheckOptions): void {
  for (const c of spoilt(tree, lines)) {
    const problems = check(tree, readRecord(c.lines), log, opts)
    assert.ok(problems.some((p) => p.startsWith(`${c.rule}:`)), `the checks missed a spoilt record (${c.how}): expected a ${c.rule} problem, got ${JSON.stringify(problems.slice(0, 5))}`)
  }
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
  for (const key of ['job:command', 'returns:whole', 'returns:n', 'part:whole', 'part:n', 'part:path', 'promise:child->child', 'promise:child->followOn', 'promise:followOn->followOn', 'successors:interleaved']) {
    assert.ok((f[key] ?? 0) > 0, `the planned trees exercise no ${key}: ${JSON.stringify(f)}`)
  }
  assert.ok((f['promise:nested'] ?? 0) > 0, `no nested promise edge: ${JSON.stringify(f)}`)
  const s = scratch('jobtree-dag-')
  try {
    const record = join(s.dir, 'record')
    const store = join(s.dir, 'store')
    const value = await run(forest, { seeds: SEEDS, plan: options, record }, { store, module: FIXTURE, maxCores: MAX_CORES, logLevel: 'silent', chaining })
    assert.deepEqual(value, valueOf(tree, 'forest'), 'rule 4: the root value returned by run()')
    const { log, lines, events } = await checkRun(t, `${SEEDS.length} seeds`, tree, record, store, { crashes: false })
    const chained = chainedIssues(events)
    if (chaining) assert.ok(chained > 0, 'no job was chained')
    else assert.equal(chained, 0, 'jobs were chained with chaining off')
    t.diagnostic(`${chained} attempts chained`)
    assert.equal(log.abandoned.size, 0)
    assertCaught(tree, lines, log, { crashes: false })
  } finally {
    s.cleanup()
  }
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
  const s = scratch('jobtree-dag-crash-')
  try {
    const record = join(s.dir, 'record')
    const store = join(s.dir, 'store')
    const input = { seed: CRASH_SEED, path: `s${CRASH_SEED}`, depth: 0, plan: options, rel: 'root', record, got: [] }
    const initial = ['run', FIXTURE, '--target', 'dag.node', '--store', store, '--input', JSON.stringify(input), '--max-cores', String(MAX_CORES), '--no-progress', '--log-level', 'warn']
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
    t.diagnostic(`kill instants: ${instants.join(', ')}; ${resumed} resumptions, ${log.abandoned.size} abandoned attempts, ${chainedIssues(events)} chained attempts`)
  } finally {
    s.cleanup()
  }
})

test('random DAG: a job waiting for a sibling that returns its follow-on\'s promise (test/fixtures/dagRepro.ts)', { timeout: 30_000 }, async () => {
  const s = scratch('jobtree-dag-repro-')
  try {
    assert.deepEqual(await run(repro.main, null, { store: join(s.dir, 'store'), module: REPRO, logLevel: 'silent' }), { n: 1 })
  } finally {
    s.cleanup()
  }
})
