// Whether the log created the tree a suite planned. A planned job has no id
// until the log gives it one, so the ids come first, read from the log's own
// numbering of successors; every other check of a plan against a run goes
// through them, and a job the numbering cannot reach is reported here once.
import { isDeepStrictEqual } from 'node:util'
import type { JobFinished, Relation } from '../../../src/events/catalogue.ts'
import type { CreatedJob } from '../../../src/events/jobsOf.ts'

/** What numbering needs of a planned job: its successors, children in the order added, then follow-ons. */
export interface PlannedSuccessors {
  children: readonly string[]
  followOns: readonly string[]
}

export interface Numbering {
  idOf: Map<string, number>
  pathOf: Map<number, string>
  problems: string[]
}

/**
 * Job ids by path: the root is the job created as root; the successors an
 * attempt adds are numbered from its JobFinished's `first`, children (in the
 * order added) before follow-ons. A job that added other counts than planned
 * is a problem, and its successors get no ids.
 */
export function numberJobs(
  rootPath: string | undefined,
  plannedOf: (path: string) => PlannedSuccessors,
  log: { created: Map<number, CreatedJob>; finishes: Map<number, JobFinished[]> },
): Numbering {
  const n: Numbering = { idOf: new Map(), pathOf: new Map(), problems: [] }
  const number = (path: string, id: number): void => {
    n.idOf.set(path, id)
    n.pathOf.set(id, path)
    const planned = plannedOf(path)
    const finish = log.finishes.get(id)?.[0]
    if (finish === undefined) return
    const { first, children, followOns } = finish.successors
    if (children !== planned.children.length || followOns !== planned.followOns.length) {
      n.problems.push(
        `${path} (job ${id}) added ${children} children and ${followOns} follow-ons, planned ${planned.children.length} and ${planned.followOns.length}`,
      )
      return
    }
    for (const [i, c] of planned.children.entries()) number(c, first + i)
    for (const [i, f] of planned.followOns.entries()) number(f, first + children + i)
  }
  const root = [...log.created.values()].find((c) => c.relation === 'root')
  if (root === undefined || rootPath === undefined) n.problems.push('no root job in the log')
  else number(rootPath, root.jobId)
  return n
}

/** How problems name a planned job: its path and the id the log gave it. */
export function jobName(idOf: ReadonlyMap<string, number>): (path: string) => string {
  return (path) => `${path} (job ${idOf.get(path) ?? '?'})`
}

/** No two planned jobs got the same id. */
export function idsUnique(idOf: ReadonlyMap<string, number>): string[] {
  const problems: string[] = []
  const owner = new Map<number, string>()
  for (const [path, id] of idOf) {
    if (owner.has(id)) problems.push(`job ${id} is both ${owner.get(id)} and ${path}`)
    owner.set(id, path)
  }
  return problems
}

/** The log created no job that the numbering does not reach: none outside the plan. */
export function noUnplannedJobs(created: ReadonlyMap<number, CreatedJob>, pathOf: ReadonlyMap<number, string>): string[] {
  return [...created.keys()].filter((id) => !pathOf.has(id)).map((id) => `job ${id} was created, but no planned job has that id`)
}

/** Exactly the planned jobs that should have been created were. */
export function createdAsExpected(
  planned: Iterable<string>,
  expected: ReadonlySet<string>,
  idOf: ReadonlyMap<string, number>,
  created: ReadonlyMap<number, CreatedJob>,
): string[] {
  const problems: string[] = []
  const name = jobName(idOf)
  for (const path of planned) {
    const id = idOf.get(path)
    const was = id !== undefined && created.has(id)
    if (expected.has(path) && !was) problems.push(`${name(path)} should have been created`)
    if (!expected.has(path) && was) problems.push(`${name(path)} was created, though it should not have been (a job it depends on cannot succeed)`)
  }
  return problems
}

export interface CreatedAndPlanned {
  name: string
  created: CreatedJob
  /** A command job, or a target. */
  command: boolean
  kind: string
  rel: Relation
  /** Where a suite also holds the log to the plan's parents: the planned parent's name and id (-1 for none). */
  parent?: { name: string; id: number | undefined }
}

/** Each created job is of the kind planned, with the relation (and, where asked, the parent) planned. */
export function createdAsPlanned(jobs: Iterable<CreatedAndPlanned>): string[] {
  const problems: string[] = []
  for (const { name, created, command, kind, rel, parent } of jobs) {
    if ((created.spec.work.kind === 'command') !== command) problems.push(`${name} is a ${created.spec.work.kind} job, planned as a ${kind}`)
    if (parent === undefined) {
      if (created.relation !== rel) problems.push(`${name} was created as a ${created.relation}, planned as a ${rel}`)
    } else if (created.parent !== parent.id || created.relation !== rel) {
      problems.push(`${name} was created as a ${created.relation} of job ${created.parent}, planned as a ${rel} of ${parent.name} (job ${parent.id})`)
    }
  }
  return problems
}

/** Each created job whose input names its path (a fixture's way to know itself) names the path the numbering gave its id. */
export function inputsNamePaths(
  logged: Iterable<{ jobId: number; path: unknown }>,
  pathOf: ReadonlyMap<number, string>,
  idOf: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = []
  const name = jobName(idOf)
  for (const { jobId, path } of logged) {
    const planned = pathOf.get(jobId)
    if (planned !== undefined && path !== planned) problems.push(`${name(planned)} was created with path ${String(path)} in its input`)
  }
  return problems
}

/** No path is named in the inputs of two created jobs, nor a path outside the plan. */
export function inputPathsOnce(logged: Iterable<{ jobId: number; path: string }>, planned: (path: string) => boolean): string[] {
  const problems: string[] = []
  const idOfPath = new Map<string, number>()
  for (const { jobId, path } of logged) {
    if (idOfPath.has(path)) problems.push(`path ${path} created twice (jobs ${idOfPath.get(path)} and ${jobId})`)
    else if (!planned(path)) problems.push(`the log created ${path}, which is not in the planned tree`)
    idOfPath.set(path, jobId)
  }
  return problems
}

/** The promises in a created job's input name the producers' ids (tokens), as planned. */
export function inputPromises(jobs: Iterable<{ name: string; got: unknown; expected: unknown }>): string[] {
  return [...jobs]
    .filter((j) => !isDeepStrictEqual(j.got, j.expected))
    .map((j) => `${j.name} was created with promises ${JSON.stringify(j.got)}, expected ${JSON.stringify(j.expected)}`)
}
