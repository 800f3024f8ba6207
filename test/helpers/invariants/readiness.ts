// A job starts only once all it waits for has ended: its parent, for a
// follow-on everything reachable from its parent's children, and the jobs
// whose values it is handed. Checked on a record whose line order is a total
// order of the moments jobs start and end, with a job's first start (of any
// attempt, abandoned or not: each is issued only once the job is ready) and
// the end of each job's successful attempt.

/** Record line numbers: each job's first start, and the end of its successful attempt. */
export interface Moments {
  firstStart: ReadonlyMap<string, number>
  end: ReadonlyMap<string, number>
}

export interface Placed {
  path: string
  parent: string | undefined
  rel: string
  children: readonly string[]
  successors: readonly string[]
}

/** A successor (child or follow-on) starts after its parent ended. */
export function successorsAfterParent(plan: Iterable<Placed>, m: Moments, name: (path: string) => string): string[] {
  const problems: string[] = []
  for (const job of plan) {
    const start = m.firstStart.get(job.path)
    const parentEnd = job.parent === undefined ? undefined : m.end.get(job.parent)
    if (start !== undefined && parentEnd !== undefined && start < parentEnd) {
      problems.push(`${job.rel} ${name(job.path)} started at record line ${start}, before its parent ${name(job.parent as string)} ended at line ${parentEnd}`)
    }
  }
  return problems
}

/** A follow-on of P starts after everything reachable from P through its children (their children and follow-ons, recursively) ended. */
export function followOnsAfterChildren(plan: ReadonlyMap<string, Placed>, m: Moments, name: (path: string) => string): string[] {
  const subtreeEnd = new Map<string, { at: number; path: string }>()
  const lastEndIn = (path: string): { at: number; path: string } => {
    const known = subtreeEnd.get(path)
    if (known !== undefined) return known
    let last = { at: m.end.get(path) ?? -Infinity, path }
    for (const s of plan.get(path)?.successors ?? []) {
      const sub = lastEndIn(s)
      if (sub.at > last.at) last = sub
    }
    subtreeEnd.set(path, last)
    return last
  }
  const problems: string[] = []
  for (const job of plan.values()) {
    const start = m.firstStart.get(job.path)
    if (start === undefined || job.rel !== 'followOn' || job.parent === undefined) continue
    for (const child of plan.get(job.parent)?.children ?? []) {
      const last = lastEndIn(child)
      if (start < last.at) {
        problems.push(
          `follow-on ${name(job.path)} started at record line ${start}, before ${name(last.path)} (reachable from its parent through child ${name(child)}) ended at line ${last.at}`,
        )
      }
    }
  }
  return problems
}

export interface Consumer {
  path: string
  /** Each promise it is handed: the producer, the promise as a problem shows it, and the jobs that must have ended first (the producer, and those its nested promises lead to). */
  uses: ReadonlyArray<{ producer: string; rv: string; deps: readonly string[] }>
}

/** A job handed a promise starts after the producer ended, and after the jobs a nested promise leads to. */
export function promisesAfterProducers(consumers: Iterable<Consumer>, m: Moments, name: (path: string) => string): string[] {
  const problems: string[] = []
  for (const { path, uses } of consumers) {
    const start = m.firstStart.get(path)
    if (start === undefined) continue
    for (const { producer, rv, deps } of uses) {
      for (const dep of deps) {
        const end = m.end.get(dep)
        if (end === undefined || start >= end) continue
        const via = dep === producer ? '' : ` (its value leads there through a nested promise)`
        problems.push(
          `${name(path)} started at record line ${start}, before ${name(dep)} ended at line ${end}, though it was handed ${name(producer)}'s ${rv}${via}`,
        )
      }
    }
  }
  return problems
}
