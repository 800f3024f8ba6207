// Group commit, as given-steps / when-step / then-outcome tables: inputs from
// a source, and commits that end only when a step says so.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as settled } from 'node:timers/promises'
import { Subject } from 'rxjs'
import { groupCommit } from '../src/leader/groupCommit.ts'

type Step =
  /** The source delivers these inputs, one after another, in one go. */
  | { push: string[] }
  /** The oldest commit in progress ends: done, or failed with this error. */
  | { commit: 'done' | Error }
  | { source: 'complete' | Error }

const push = (...inputs: string[]): Step => ({ push: inputs })
const committed: Step = { commit: 'done' }
const commitFails = (message: string): Step => ({ commit: new Error(message) })
const sourceEnds: Step = { source: 'complete' }
const sourceFails = (message: string): Step => ({ source: new Error(message) })

interface Outcome {
  /** What each call of `commit` was given, in order. */
  batches: string[][]
  /** What the output passed on: the size of each committed batch. */
  emitted: number[]
  ended: 'open' | 'complete' | `failed: ${string}`
  /** Whether the source still has a subscriber. */
  listening: boolean
}

interface Case {
  name: string
  given: Step[]
  when: Step
  then: Outcome
}

const cases: Case[] = [
  {
    name: 'an input arriving while nothing is being committed is committed at once, alone',
    given: [],
    when: push('a'),
    then: { batches: [['a']], emitted: [], ended: 'open', listening: true },
  },
  {
    name: 'once its commit is done, the size of its batch is passed on',
    given: [push('a')],
    when: committed,
    then: { batches: [['a']], emitted: [1], ended: 'open', listening: true },
  },
  {
    name: 'inputs arriving during a commit wait: no second commit starts while one is in progress',
    given: [push('a')],
    when: push('b', 'c'),
    then: { batches: [['a']], emitted: [], ended: 'open', listening: true },
  },
  {
    name: 'the inputs that waited are committed as one batch once the commit before is done',
    given: [push('a'), push('b', 'c')],
    when: committed,
    then: { batches: [['a'], ['b', 'c']], emitted: [1], ended: 'open', listening: true },
  },
  {
    name: 'a burst delivered in one go: its first input is committed alone, the rest together after it',
    given: [push('a', 'b', 'c', 'd')],
    when: committed,
    then: { batches: [['a'], ['b', 'c', 'd']], emitted: [1], ended: 'open', listening: true },
  },
  {
    name: 'inputs keep their order across batches',
    given: [push('a'), push('b'), committed, push('c', 'd'), committed],
    when: committed,
    then: { batches: [['a'], ['b'], ['c', 'd']], emitted: [1, 1, 2], ended: 'open', listening: true },
  },
  {
    name: 'once every batch is committed, the next input is committed at once',
    given: [push('a'), committed],
    when: push('b'),
    then: { batches: [['a'], ['b']], emitted: [1], ended: 'open', listening: true },
  },
  {
    name: 'a source that ends while nothing is being committed ends the output',
    given: [push('a'), committed],
    when: sourceEnds,
    then: { batches: [['a']], emitted: [1], ended: 'complete', listening: false },
  },
  {
    name: 'a source that ends with no input ends the output without a commit',
    given: [],
    when: sourceEnds,
    then: { batches: [], emitted: [], ended: 'complete', listening: false },
  },
  {
    name: 'a source that ends during a commit: the output waits for the commit',
    given: [push('a')],
    when: sourceEnds,
    then: { batches: [['a']], emitted: [], ended: 'open', listening: false },
  },
  {
    name: 'inputs that were waiting when the source ended are committed before the output ends',
    given: [push('a'), push('b'), sourceEnds, committed],
    when: committed,
    then: { batches: [['a'], ['b']], emitted: [1, 1], ended: 'complete', listening: false },
  },
  {
    name: 'a failed commit fails the output with its error, and the source is let go',
    given: [push('a')],
    when: commitFails('disk full'),
    then: { batches: [['a']], emitted: [], ended: 'failed: disk full', listening: false },
  },
  {
    name: 'the inputs waiting behind a failed commit are never committed',
    given: [push('a'), push('b', 'c')],
    when: commitFails('disk full'),
    then: { batches: [['a']], emitted: [], ended: 'failed: disk full', listening: false },
  },
  {
    name: 'a failed later batch: the batches committed before it were passed on',
    given: [push('a'), push('b'), committed],
    when: commitFails('disk full'),
    then: { batches: [['a'], ['b']], emitted: [1], ended: 'failed: disk full', listening: false },
  },
  {
    name: 'an error of the source, while nothing is being committed, fails the output',
    given: [push('a'), committed],
    when: sourceFails('gone'),
    then: { batches: [['a']], emitted: [1], ended: 'failed: gone', listening: false },
  },
]

async function play(steps: Step[]): Promise<Outcome> {
  const source = new Subject<string>()
  const inProgress: Array<{ resolve: () => void; reject: (err: Error) => void }> = []
  const outcome: Outcome = { batches: [], emitted: [], ended: 'open', listening: true }
  // The batch as given, not a copy: were it changed after the call, the table would show it.
  const commit = (batch: string[]) =>
    new Promise<void>((resolve, reject) => {
      outcome.batches.push(batch)
      inProgress.push({ resolve, reject })
    })
  source.pipe(groupCommit(commit)).subscribe({
    next: (size) => outcome.emitted.push(size),
    complete: () => {
      outcome.ended = 'complete'
    },
    error: (err: unknown) => {
      outcome.ended = `failed: ${err instanceof Error ? err.message : String(err)}`
    },
  })
  for (const step of steps) {
    if ('push' in step) {
      for (const input of step.push) source.next(input)
    } else if ('commit' in step) {
      const first = inProgress.shift()
      assert.ok(first, 'a commit is in progress')
      if (step.commit === 'done') first.resolve()
      else first.reject(step.commit)
    } else if (step.source === 'complete') {
      source.complete()
    } else {
      source.error(step.source)
    }
    // What the step set going (a commit's end, the next batch) runs before the next step.
    await settled()
  }
  outcome.listening = source.observed
  return outcome
}

for (const c of cases) {
  test(`group commit: ${c.name}`, async () => {
    assert.deepEqual(await play([...c.given, c.when]), c.then)
  })
}
