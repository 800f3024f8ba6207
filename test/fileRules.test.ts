// The file store's rules in the decider, as given-events / when-input /
// then-events tables: a write is visible only with its attempt's success, a
// delete takes effect only then, and a file goes once its writer's subtree
// is done and no input or kept value names it; exported files stay.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AttemptFiles, JobEvent, RunConfig, SuccessorSpec } from '../src/events/catalogue.ts'
import { formatFileId } from '../src/events/fileId.ts'
import { makeToken } from '../src/events/promise.ts'
import { decide } from '../src/decider/decide.ts'
import type { Input } from '../src/decider/inputs.ts'
import { evolve } from '../src/decider/jobTree.ts'
import { initialState, type JobTreeState } from '../src/decider/jobTreeState.ts'
import { jobCreated, jobFailed, jobFinished, jobIssued, targetSpec, workflowStarted } from './helpers/events.ts'

const at = 1000
const config: RunConfig = { retryCount: 1, maxJobs: 10, maxCores: 2, maxMemory: 2 ** 30, maxDisk: 2 ** 30 }
const stats = { wallMs: 1, cpuMs: 1, maxRss: 0 }
const sha256 = 'a'.repeat(64)

/** The id of file `n` of job `jobId`'s attempt `attempt` (run 'r', as workflowStarted records). */
const fid = (jobId: number, attempt = 1, n = 0) => formatFileId({ runId: 'r', jobId, attempt, n, size: 3, sha256, name: `f${jobId}` })
const wrote = (jobId: number, attempt = 1, n = 0): JobEvent => ({ type: 'FileWritten', v: 1, at, jobId, attempt, n, size: 3, sha256, name: `f${jobId}` })
const written = (jobId: number, n = 0) => ({ n, size: 3, sha256, name: `f${jobId}` })
const files = (more: Partial<AttemptFiles>): AttemptFiles => ({ written: [], deleted: [], exported: [], ...more })

const started = (c: RunConfig = config): JobEvent[] => [workflowStarted(at, c), jobCreated(at, 0, -1, 'root', targetSpec('root'))]
const issued = (jobId: number, attempt = 1): JobEvent => jobIssued(at, jobId, attempt)
const finished = (jobId: number, first: number, children: number, followOns: number, value: unknown = null): JobEvent =>
  jobFinished(at, jobId, 1, { first, children, followOns }, value, stats)
const created = (jobId: number, parent: number, relation: 'child' | 'followOn', input: unknown = null): JobEvent =>
  jobCreated(at, jobId, parent, relation, targetSpec('leaf', input))
const succeed = (jobId: number, more: { successors?: SuccessorSpec[]; value?: unknown; files?: AttemptFiles } = {}): Input => ({
  type: 'AttemptSucceeded',
  now: at,
  jobId,
  attempt: 1,
  value: more.value ?? null,
  successors: more.successors ?? [],
  messages: [],
  stats,
  ...(more.files === undefined ? {} : { files: more.files }),
})
const child = (input: unknown): SuccessorSpec => ({ relation: 'child', spec: targetSpec('leaf', input) })
const schedule: Input = { type: 'Schedule', now: at }
const released = (...ids: string[]): JobEvent => ({ type: 'FilesReleased', v: 1, at, files: ids })
const workflowFinished = (succeeded: number): JobEvent => ({ type: 'WorkflowFinished', v: 1, at, ok: true, succeeded, failed: 0, neverRan: 0 })

const given = (events: JobEvent[]): JobTreeState => events.reduce(evolve, initialState)

/** The root wrote a file and handed it to its one child, which is running. */
const handedToChild: JobEvent[] = [...started(), issued(0), wrote(0), finished(0, 1, 1, 0), created(1, 0, 'child', { in: fid(0) }), issued(1)]

/** A run whose root's input names an import. */
const importedByRoot: JobEvent[] = [workflowStarted(at, config), wrote(-1, 0), jobCreated(at, 0, -1, 'root', targetSpec('root', { reads: fid(-1, 0) }))]

interface Case {
  name: string
  given: JobEvent[]
  when: Input
  then: JobEvent[]
}

const cases: Case[] = [
  {
    name: "the files a success wrote are recorded before its JobFinished, which may name them, and its children's inputs too",
    given: [...started(), issued(0)],
    when: succeed(0, { successors: [child({ in: fid(0) })], value: fid(0), files: files({ written: [written(0)] }) }),
    then: [wrote(0), finished(0, 1, 1, 0, fid(0)), created(1, 0, 'child', { in: fid(0) })],
  },
  {
    name: 'a result that cannot be recorded records none of the files its attempt wrote',
    given: [...started(), issued(0)],
    when: succeed(0, { value: makeToken({ local: 3, path: [] }), files: files({ written: [written(0)] }) }),
    then: [
      jobFailed(at, 0, 1, { kind: 'invalidResult', message: 'promise names successor 3, which the job did not add' }, stats),
      { type: 'JobFailedCompletely', v: 1, at, jobId: 0 },
    ],
  },
  {
    name: 'a file nothing names is kept while its writer has successors still to run',
    given: [...started(), issued(0), wrote(0), finished(0, 1, 1, 0), created(1, 0, 'child')],
    when: schedule,
    then: [issued(1)],
  },
  {
    name: "a file in a child's input is kept while the child runs",
    given: handedToChild,
    when: schedule,
    then: [],
  },
  {
    name: 'once the child succeeded and the writer is done, nothing can read the file: it is released, before the run finishes',
    given: [...handedToChild, finished(1, 2, 0, 0)],
    when: schedule,
    then: [released(fid(0)), workflowFinished(2)],
  },
  {
    name: 'an import the root hands on to its child is not released in between (its count passes through zero within the batch)',
    given: [...importedByRoot, issued(0), finished(0, 1, 1, 0), created(1, 0, 'child', { again: fid(-1, 0) })],
    when: schedule,
    then: [issued(1)],
  },
  {
    name: 'an import is released once the last job that names it has succeeded',
    given: [...importedByRoot, issued(0), finished(0, 1, 1, 0), created(1, 0, 'child')],
    when: schedule,
    then: [released(fid(-1, 0)), issued(1)],
  },
  {
    name: "the root's value keeps its file after the run",
    given: [...started(), issued(0), wrote(0), finished(0, 1, 0, 0, { result: fid(0) })],
    when: schedule,
    then: [workflowFinished(1)],
  },
  {
    name: 'a failed job keeps the files of its input: a restart may run it again',
    given: [...handedToChild, jobFailed(at, 1, 1, { kind: 'exception', message: 'x' }), { type: 'JobFailedCompletely', v: 1, at, jobId: 1 }],
    when: schedule,
    then: [{ type: 'WorkflowFinished', v: 1, at, ok: false, succeeded: 1, failed: 1, neverRan: 0 }],
  },
  {
    name: 'a delete is recorded with the success of the job that asked for it',
    given: handedToChild,
    when: succeed(1, { files: files({ deleted: [fid(0)] }) }),
    then: [{ type: 'FileDeleted', v: 1, at, jobId: 1, attempt: 1, file: fid(0) }, finished(1, 2, 0, 0)],
  },
  {
    name: 'a delete of a file that is not visible (never, or no longer) is left out',
    given: handedToChild,
    when: succeed(1, { files: files({ deleted: [fid(7)] }) }),
    then: [finished(1, 2, 0, 0)],
  },
  {
    name: 'an export is recorded with the success, for a visible file or one the attempt wrote',
    given: handedToChild,
    when: succeed(1, {
      files: files({
        written: [written(1)],
        exported: [
          { file: fid(0), path: '/out/a' },
          { file: fid(1), path: '/out/b' },
        ],
      }),
    }),
    then: [
      wrote(1),
      { type: 'FileExported', v: 1, at, jobId: 1, attempt: 1, file: fid(0), path: '/out/a' },
      { type: 'FileExported', v: 1, at, jobId: 1, attempt: 1, file: fid(1), path: '/out/b' },
      finished(1, 2, 0, 0),
    ],
  },
  {
    name: 'an exported file is kept after the run, a file nothing names is not',
    given: [...handedToChild, wrote(1), { type: 'FileExported', v: 1, at, jobId: 1, attempt: 1, file: fid(0), path: '/out/a' }, finished(1, 2, 0, 0)],
    when: schedule,
    then: [released(fid(1)), workflowFinished(2)],
  },
  {
    name: 'with --keep-files nothing is released',
    given: [...started({ ...config, keepFiles: true }), issued(0), wrote(0), finished(0, 1, 0, 0)],
    when: schedule,
    then: [workflowFinished(1)],
  },
  {
    name: "a value kept for a promise keeps its file until the promise's job has succeeded",
    given: [
      ...started(),
      issued(0),
      finished(0, 1, 1, 1),
      created(1, 0, 'child'),
      created(2, 0, 'followOn', { from: makeToken({ job: 1, path: [] }) }),
      issued(1),
      wrote(1),
      finished(1, 3, 0, 0, fid(1)),
    ],
    when: schedule,
    then: [issued(2)],
  },
  {
    name: 'imports are recorded with the start, as the files of job -1, before the root that names them',
    given: [],
    when: {
      type: 'Start',
      now: at,
      runId: 'r',
      module: '/m.ts',
      target: 'root',
      root: targetSpec('root', { reads: fid(-1, 0) }),
      config,
      imports: [written(-1)],
    },
    then: [workflowStarted(at, config), wrote(-1, 0), jobCreated(at, 0, -1, 'root', targetSpec('root', { reads: fid(-1, 0) }))],
  },
]

for (const c of cases) {
  test(`decide: ${c.name}`, () => {
    assert.deepEqual(decide(given(c.given), c.when), c.then)
  })
}

test('evolve: a released or deleted file leaves the state; a run that never wrote one has none to count', () => {
  const before = given([...handedToChild, finished(1, 2, 0, 0)])
  assert.equal(before.liveFiles, 1)
  const after = evolve(before, released(fid(0)))
  assert.equal(after.liveFiles, 0)
  assert.equal([...after.files.entries()].length, 0)
  assert.equal([...after.fileOrphans.entries()].length, 0)
  const deleted = evolve(given(handedToChild), { type: 'FileDeleted', v: 1, at, jobId: 1, attempt: 1, file: fid(0) })
  assert.equal(deleted.liveFiles, 0)
  const plain = given([...started(), issued(0), finished(0, 1, 1, 0), created(1, 0, 'child', { in: fid(0) })])
  assert.equal(plain.liveFiles, 0, 'a string shaped like a file id that names no file counts for nothing')
})

test('decide: a thousand files released an event, so that none is large', () => {
  const writes = Array.from({ length: 1001 }, (_, n) => wrote(0, 1, n))
  const events = decide(given([...started(), issued(0), ...writes, finished(0, 1, 0, 0)]), schedule)
  assert.deepEqual(
    events.map((e) => (e.type === 'FilesReleased' ? e.files.length : e.type)),
    [1000, 1, 'WorkflowFinished'],
  )
})

test('evolve: a file recorded twice is a contradiction of the log', () => {
  assert.throws(() => given([...handedToChild, wrote(0)]))
})

test('evolve: the state with files encodes and decodes to the same state (snapshots)', async () => {
  const { encodeState, stateParts, decodeState } = await import('../src/decider/stateCodec.ts')
  const state = given([...handedToChild, wrote(1), finished(1, 2, 0, 0, fid(1))])
  const back = decodeState([...stateParts(state)])
  assert.ok(back !== undefined)
  assert.deepEqual(Buffer.from(encodeState(back)), Buffer.from(encodeState(state)))
  assert.deepEqual(decide(back, schedule), decide(state, schedule))
})
