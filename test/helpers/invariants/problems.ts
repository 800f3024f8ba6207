// Checkers return problems instead of asserting, so that a suite reports
// every broken rule of a run at once, and so that its self-test can feed the
// same checkers observations spoilt on purpose and see that the checker aimed
// at each spoilt rule (not just any) speaks up. A suite files each checker's
// problems under its own rule names: the same checker is rule 2 in one suite
// and "no rerun" in another.
import assert from 'node:assert/strict'

/** Any checker, as the key its problems are filed by. */
export type Checker = (...args: never[]) => unknown

export class Problems {
  readonly list: string[] = []
  /** Every checker filed, with problems or without: what a self-test must prove. */
  readonly ran = new Set<Checker>()
  /** The rules each checker filed problems under. */
  private readonly caughtBy = new Map<Checker, Set<string>>()

  /** Runs `checker` on `args` and files what it finds under `rule`. */
  run<A extends unknown[]>(rule: string, checker: (...args: A) => string[], ...args: A): void {
    this.add(rule, checker, checker(...args))
  }

  /** Files `found`, the problems `checker` found, under `rule`. */
  add(rule: string, checker: Checker, found: readonly string[]): void {
    this.ran.add(checker)
    if (found.length > 0) this.caughtBy.set(checker, new Set([...(this.caughtBy.get(checker) ?? []), rule]))
    for (const p of found) this.list.push(`${rule}: ${p}`)
  }

  /** Takes in another collector's problems and checkers. */
  merge(other: Problems): void {
    this.list.push(...other.list)
    for (const c of other.ran) this.ran.add(c)
    for (const [c, rules] of other.caughtBy) this.caughtBy.set(c, new Set([...(this.caughtBy.get(c) ?? []), ...rules]))
  }

  /** Whether `checker` found problems, filed under `rule`. */
  caught(checker: Checker, rule: string): boolean {
    return this.caughtBy.get(checker)?.has(rule) ?? false
  }
}

export function assertNoProblems(what: string, problems: readonly string[]): void {
  if (problems.length === 0) return
  const shown = problems.slice(0, 40)
  assert.fail(`${what}: ${problems.length} problem(s)${problems.length > shown.length ? ` (the first ${shown.length})` : ''}:\n  ${shown.join('\n  ')}`)
}

/** An observation spoilt on purpose, what the checks made of it, and who must have caught it. */
export interface Spoilt {
  how: string
  rule: string
  by: Checker[]
  problems: Problems
}

/**
 * Each spoilt case aims at one checker or more, and each of them reports it
 * under the case's rule. With `ran`, every checker the good run ran is aimed
 * at by some case, so that no checker is left that could never fail.
 */
export function assertCaught(cases: readonly Spoilt[], ran?: ReadonlySet<Checker>): void {
  for (const c of cases) {
    assert.ok(c.by.length > 0, `the spoilt run (${c.how}) aims at no checker`)
    const missed = c.by.filter((checker) => !c.problems.caught(checker, c.rule)).map((checker) => checker.name)
    assert.deepEqual(
      missed,
      [],
      `the checks missed a spoilt run (${c.how}): expected a ${c.rule} problem from ${missed.join(', ')}, got ${JSON.stringify(c.problems.list.slice(0, 5))}`,
    )
  }
  if (ran === undefined) return
  const proven = new Set(cases.flatMap((c) => c.by))
  const unproven = [...ran].filter((checker) => !proven.has(checker)).map((checker) => checker.name)
  assert.deepEqual(unproven, [], `no spoilt case shows that these checkers can fail: ${unproven.join(', ')}`)
}
