// Bad input, one table: every case must end with a one-line `jobtree: …`
// message that names the problem, the right exit code (2 bad usage or input,
// 1 a workflow whose job failed), no stack trace, and the store as it was.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { JobtreeError } from '../src/errors.ts'
import { fillUp, isMounted, mountTmpfs, unmount } from './helpers/disk.ts'
import { finished, jobtree, logDigest, readEvents, scratch, sleep, startJobtree, type CliResult } from './helpers/cli.ts'

const TARGETS = 'test/fixtures/badTargets.ts'
const THROWS = 'test/fixtures/badThrowsAtImport.ts'

/** One case's own directory; `store` does not exist unless its setup makes it. */
interface Scratch {
  dir: string
  store: string
  /** A store made once by a successful run, for the cases that need a real one. */
  template: string
  /** The leader of the store-in-use case. */
  leader?: SleepingLeader
}

interface Case {
  name: string
  setup?: (t: Scratch) => void | Promise<void>
  args: (t: Scratch) => string[]
  code: 1 | 2
  /** What the last line of stderr (for code 2, all of stderr) must say after `jobtree: `. */
  message: RegExp
  /** absent: no store before or after; unchanged: the store (log and files) as it was; created: a run was recorded. */
  store: 'absent' | 'unchanged' | 'created'
  /** Further checks, after the store check. */
  after?: (t: Scratch) => Promise<void>
  /** Undoes what setup did outside the case's directory, before it is removed. */
  teardown?: (t: Scratch) => void
}

/** `run` of the `strict` target with a good input, and `extra` options. */
const runStrict = (t: Scratch, ...extra: string[]) => [
  'run',
  TARGETS,
  '--target',
  'strict',
  '--input',
  '{"n":1}',
  '--store',
  t.store,
  '--no-progress',
  ...extra,
]
const copyTemplate = (t: Scratch) => cpSync(t.template, t.store, { recursive: true })
const writeMarker = (text: string) => (t: Scratch) => {
  copyTemplate(t)
  writeFileSync(join(t.store, 'jobtree.json'), text)
}

/** After a refusal of a store a running leader holds: the leader goes on, undisturbed, and stops cleanly when asked. */
async function leaderUndisturbed(t: Scratch): Promise<void> {
  assert.ok(t.leader)
  assert.match(await t.leader.status(), /state: +running/)
  const stopped = await t.leader.stop()
  assert.equal(stopped.code, 130, stopped.stderr)
  assert.doesNotMatch(stopped.stderr, /^\s+at /m)
  assert.equal(existsSync(join(t.store, 'leader.sock')), false, 'the leader removed its socket')
  const events = await readEvents(t.store)
  assert.deepEqual(
    events.map((e) => e.type),
    ['WorkflowStarted', 'JobCreated', 'JobIssued', 'WorkflowInterrupted', 'JobAbandoned'],
    'only the first leader wrote, and recorded its stop',
  )
}

const cases: Case[] = [
  {
    name: 'a workflow module that does not exist',
    args: (t) => ['run', 'test/fixtures/badNoSuchModule.ts', '--target', 'strict', '--store', t.store],
    code: 2,
    message: /workflow module \S*test\/fixtures\/badNoSuchModule\.ts does not exist/,
    store: 'absent',
  },
  {
    name: 'a module that throws while it is imported',
    args: (t) => ['run', THROWS, '--target', 'never', '--store', t.store],
    code: 2,
    message: /cannot import workflow module \S*badThrowsAtImport\.ts: badThrowsAtImport refuses to load/,
    store: 'absent',
  },
  {
    name: 'a module with a syntax error',
    // Written here: a fixture with a syntax error would break the typecheck.
    setup: (t) => {
      writeFileSync(join(t.dir, 'package.json'), '{ "type": "module" }\n')
      writeFileSync(join(t.dir, 'badSyntax.ts'), 'export const half = (;\n')
    },
    args: (t) => ['run', join(t.dir, 'badSyntax.ts'), '--target', 'broken', '--store', t.store],
    code: 2,
    message: /cannot import workflow module \S*badSyntax\.ts: .*badSyntax\.ts:1:\d+: ERROR: Unexpected ";"/,
    store: 'absent',
  },
  {
    name: 'an unknown --target',
    args: (t) => ['run', TARGETS, '--target', 'nope', '--store', t.store],
    code: 2,
    message:
      /unknown target "nope" in \S*badTargets\.ts \(known: addsHugeChild, odd name "quoted" \$\(touch pwned\) `x` ; é ✓, returnsFunction, returnsHuge, runsMissingProgram, sleeps, strict\)/,
    store: 'absent',
  },
  { name: 'run without --target', args: (t) => ['run', TARGETS, '--store', t.store], code: 2, message: /run needs --target <name>/, store: 'absent' },
  {
    name: 'run without --store',
    args: () => ['run', TARGETS, '--target', 'strict'],
    code: 2,
    message: /required option '--store <dir>' not specified/,
    store: 'absent',
  },
  {
    name: 'an --input that is not JSON',
    args: (t) => ['run', TARGETS, '--target', 'strict', '--input', '{n:', '--store', t.store],
    code: 2,
    message: /option '--input <json>' argument '\{n:' is invalid\. not valid JSON \(.+\)/,
    store: 'absent',
  },
  {
    name: 'an --input that the root target rejects',
    args: (t) => ['run', TARGETS, '--target', 'strict', '--input', '{"m":1}', '--store', t.store, '--no-progress'],
    code: 1,
    message:
      /workflow failed: job 0 \(strict\) failed completely after \d+ failed attempt\(s\): threw: strict wants \{"n": <number>\}, got \{"m":1\}; .*see: jobtree status /,
    store: 'created',
    after: async (t) => {
      await statusShowsFailure(t.store, /failed: job 0 \(strict\) after \d+ failed attempt\(s\): threw: strict wants \{"n": <number>\}, got \{"m":1\}/)
      const strict = await jobtree(['status', t.store, '--fail-if-not-complete'])
      assert.equal(strict.code, 1, strict.stderr)
      assert.match(strict.stdout, /failed: job 0 \(strict\)/)
    },
  },
  {
    // Another attempt would return the same: one is all it gets, whatever the retry budget.
    name: 'a root target whose value cannot be stored',
    args: (t) => ['run', TARGETS, '--target', 'returnsFunction', '--store', t.store, '--retry-count', '3', '--no-progress'],
    code: 1,
    message:
      /workflow failed: job 0 \(returnsFunction\) failed completely after 1 failed attempt\(s\): the value returned by target returnsFunction cannot be stored: /,
    store: 'created',
    after: (t) =>
      statusShowsFailure(
        t.store,
        /failed: job 0 \(returnsFunction\) after 1 failed attempt\(s\): the value returned by target returnsFunction cannot be stored/,
      ),
  },
  {
    name: 'a root target whose value is over the size limit',
    args: (t) => ['run', TARGETS, '--target', 'returnsHuge', '--store', t.store, '--retry-count', '3', '--no-progress'],
    code: 1,
    message:
      /workflow failed: job 0 \(returnsHuge\) failed completely after 1 failed attempt\(s\): the value returned by target returnsHuge cannot be stored: it is 17(\.0)?M, over the limit of 16M \(put large data in a file\)/,
    store: 'created',
  },
  {
    name: 'a restart of a store that a running leader holds',
    setup: async (t) => {
      t.leader = await SleepingLeader.start(t.store)
    },
    args: (t) => ['run', TARGETS, '--store', t.store, '--restart', '--no-progress'],
    code: 2,
    message: /store is in use by another jobtree process/,
    store: 'unchanged',
    after: leaderUndisturbed,
  },
  {
    name: '--restart of a store that does not exist',
    args: (t) => ['run', TARGETS, '--store', t.store, '--restart'],
    code: 2,
    message: /cannot restart: no store at \S+\/store$/,
    store: 'absent',
  },
  {
    name: 'run without --restart on an existing store',
    setup: copyTemplate,
    args: (t) => runStrict(t),
    code: 2,
    message: /store \S+ already exists: resume it with --restart, or choose a new --store/,
    store: 'unchanged',
  },
  {
    name: '--store at a non-empty directory that is not a store',
    setup: (t) => {
      mkdirSync(t.store)
      writeFileSync(join(t.store, 'notes.txt'), 'mine\n')
    },
    args: (t) => runStrict(t),
    code: 2,
    message: /\S+\/store is not empty and is not a jobtree store: choose a new or empty directory/,
    store: 'unchanged',
  },
  {
    name: '--store at a regular file',
    setup: (t) => writeFileSync(t.store, 'a file\n'),
    args: (t) => runStrict(t),
    code: 2,
    message: /\S+\/store is a file, not a store directory/,
    store: 'unchanged',
  },
  {
    name: 'status of a store whose jobtree.json is foreign',
    setup: writeMarker('{"format":"some-other-tool","version":1}\n'),
    args: (t) => ['status', t.store],
    code: 2,
    message: /\S+\/store is not a jobtree store \(jobtree\.json is foreign\)/,
    store: 'unchanged',
  },
  {
    name: '--restart of a store whose jobtree.json is foreign',
    setup: writeMarker('{"format":"some-other-tool","version":1}\n'),
    args: (t) => ['run', TARGETS, '--store', t.store, '--restart'],
    code: 2,
    message: /\S+\/store is not a jobtree store \(jobtree\.json is foreign\)/,
    store: 'unchanged',
  },
  {
    name: 'status of a store whose jobtree.json is corrupt',
    setup: writeMarker('{"format":"jobtree-st'),
    args: (t) => ['status', t.store],
    code: 2,
    message: /\S+\/store is not a jobtree store \(no readable jobtree\.json\)/,
    store: 'unchanged',
  },
  {
    name: '--restart of a store whose jobtree.json is corrupt',
    setup: writeMarker('{"format":"jobtree-st'),
    args: (t) => ['run', TARGETS, '--store', t.store, '--restart'],
    code: 2,
    message: /\S+\/store is not a jobtree store \(no readable jobtree\.json\)/,
    store: 'unchanged',
  },
  {
    name: '--max-cores abc',
    args: (t) => runStrict(t, '--max-cores', 'abc'),
    code: 2,
    message: /option '--max-cores <n>' argument 'abc' is invalid\. expected a number above 0/,
    store: 'absent',
  },
  {
    name: '--max-cores 0',
    args: (t) => runStrict(t, '--max-cores', '0'),
    code: 2,
    message: /option '--max-cores <n>' argument '0' is invalid\. expected a number above 0/,
    store: 'absent',
  },
  {
    name: '--max-jobs 1.5',
    args: (t) => runStrict(t, '--max-jobs', '1.5'),
    code: 2,
    message: /option '--max-jobs <n>' argument '1\.5' is invalid\. expected a whole number of at least 1/,
    store: 'absent',
  },
  {
    name: '--retry-count -1',
    args: (t) => runStrict(t, '--retry-count', '-1'),
    code: 2,
    message: /option '--retry-count <n>' argument '-1' is invalid\. expected a whole number of at least 0/,
    store: 'absent',
  },
  {
    name: '--max-memory 12Q',
    args: (t) => runStrict(t, '--max-memory', '12Q'),
    code: 2,
    message: /option '--max-memory <size>' argument '12Q' is invalid\. must be a size such as 512M or 2G, got "12Q"/,
    store: 'absent',
  },
  {
    name: '--log-level loud',
    args: (t) => runStrict(t, '--log-level', 'loud'),
    code: 2,
    message: /option '--log-level <level>' argument 'loud' is invalid\. Allowed choices are error, warn, info, debug/,
    store: 'absent',
  },
  { name: 'an unknown option', args: (t) => runStrict(t, '--frobnicate'), code: 2, message: /unknown option '--frobnicate'/, store: 'absent' },
  { name: 'an unknown command', args: (t) => ['frobnicate', '--store', t.store], code: 2, message: /unknown command 'frobnicate'/, store: 'absent' },
  {
    name: '--max-memory -1G',
    args: (t) => runStrict(t, '--max-memory', '-1G'),
    code: 2,
    message: /option '--max-memory <size>' argument '-1G' is invalid\. must be a size such as 512M or 2G, got "-1G"/,
    store: 'absent',
  },
  {
    name: '--max-job-duration -5',
    args: (t) => runStrict(t, '--max-job-duration', '-5'),
    code: 2,
    message: /option '--max-job-duration <seconds>' argument '-5' is invalid\. expected a number, 0 or more/,
    store: 'absent',
  },
  {
    name: '--retry-backoff soon',
    args: (t) => runStrict(t, '--retry-backoff', 'soon'),
    code: 2,
    message: /option '--retry-backoff <seconds>' argument 'soon' is invalid\. expected a number, 0 or more/,
    store: 'absent',
  },
  {
    name: 'a child input over the size limit',
    args: (t) => ['run', TARGETS, '--target', 'addsHugeChild', '--store', t.store, '--retry-count', '0', '--no-progress'],
    code: 1,
    message:
      /job 0 \(addsHugeChild\) failed completely after 1 failed attempt\(s\): threw: the input given to target strict cannot be stored: it is 17(\.0)?M, over the limit of 16M \(put large data in a file\)/,
    store: 'created',
  },
  {
    name: 'a child command whose program does not exist',
    args: (t) => ['run', TARGETS, '--target', 'runsMissingProgram', '--store', t.store, '--retry-count', '0', '--no-progress'],
    code: 1,
    message:
      /job 1 \(command: jobtree-no-such-program --flag\) failed completely after 1 failed attempt\(s\): threw: command not found: jobtree-no-such-program/,
    store: 'created',
  },
  {
    name: 'a disk full before the store is made',
    // The case's directory becomes a small tmpfs, filled up.
    setup: (t) => {
      mountTmpfs(t.dir, '1M')
      fillUp(join(t.dir, 'filler'))
    },
    teardown: (t) => {
      if (isMounted(t.dir)) unmount(t.dir)
    },
    args: (t) => runStrict(t),
    code: 2,
    message:
      /^jobtree: error: no space left on the file system at \S+ \(writing \S+\/store\): no store was created; once space is freed, run the same command again$/,
    store: 'absent',
  },
  { name: 'status of a store that does not exist', args: (t) => ['status', t.store], code: 2, message: /no store at \S+\/store$/, store: 'absent' },
  {
    name: 'clean of a store that does not exist',
    args: (t) => ['clean', t.store],
    code: 2,
    message: /no store at \S+\/store: nothing to clean$/,
    store: 'absent',
  },
  {
    name: 'clean of a directory that is not a store',
    setup: (t) => {
      mkdirSync(join(t.store, 'precious'), { recursive: true })
      writeFileSync(join(t.store, 'precious', 'thesis.tex'), 'years of work\n')
    },
    args: (t) => ['clean', t.store],
    code: 2,
    message: /\S+\/store is not a jobtree store \(no jobtree\.json\): clean removes only stores$/,
    store: 'unchanged',
  },
  {
    name: 'clean of a store that a running leader holds',
    setup: async (t) => {
      t.leader = await SleepingLeader.start(t.store)
    },
    args: (t) => ['clean', t.store],
    code: 2,
    message: /store \S+\/store has a running leader: stop it with jobtree kill \S+\/store, then clean$/,
    store: 'unchanged',
    after: leaderUndisturbed,
  },
  {
    name: '--shared-group naming no group',
    args: (t) => runStrict(t, '--shared-group', 'no-such-group-jobtree'),
    code: 2,
    message: /--shared-group no-such-group-jobtree: no such group$/,
    store: 'absent',
  },
  {
    name: '--shared-group on --restart of a private store',
    setup: copyTemplate,
    args: (t) => ['run', TARGETS, '--store', t.store, '--restart', '--shared-group', '0', '--no-progress'],
    code: 2,
    message: /--shared-group is set when a store is made: store \S+\/store is its owner's alone, and stays so on --restart$/,
    store: 'unchanged',
  },
]

test('bad input: one clear line, the right exit code, the store as it was', { concurrency: 2 }, async (t) => {
  const template = join(scratch(t, 'jobtree-bad-'), 'template')
  const made = await jobtree(['run', TARGETS, '--target', 'strict', '--input', '{"n":21}', '--store', template, '--no-progress', '--log-level', 'warn'])
  assert.equal(made.code, 0, made.stderr)
  assert.equal(made.stdout, '42\n')
  await Promise.all(cases.map((c) => t.test(c.name, (ctx) => check(ctx, c, template))))
})

async function check(ctx: TestContext, c: Case, template: string): Promise<void> {
  const dir = scratch(ctx, 'jobtree-bad-case-')
  const t: Scratch = { dir, store: join(dir, 'store'), template }
  try {
    await c.setup?.(t)
    const before = await snapshot(t.store)
    const r = await jobtree(c.args(t))
    assert.equal(r.code, c.code, `exit code; stderr:\n${r.stderr}`)
    assertMessage(r, c)
    const after = await snapshot(t.store)
    if (c.store === 'absent') assert.deepEqual([before, after], [null, null], 'no store was created')
    if (c.store === 'unchanged') {
      assert.notEqual(before, null)
      assert.deepEqual(after, before, 'the store is as it was')
    }
    if (c.store === 'created') {
      assert.equal(before, null)
      assert.ok(existsSync(join(t.store, 'jobtree.json')), 'the failed run was recorded')
    }
    await c.after?.(t)
  } finally {
    await t.leader?.kill()
    c.teardown?.(t)
  }
}

function assertMessage(r: CliResult, c: Case): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
  assert.equal(r.stdout, '', 'nothing on stdout')
  // Bad usage says one line and nothing else; a failed workflow's leader logs
  // as it goes, and its last line is the verdict.
  if (c.code === 2) assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`)
  const last = lines.at(-1) ?? ''
  assert.ok(last.startsWith('jobtree: '), `the message starts with "jobtree: ": ${last}`)
  assert.match(last, c.message)
}

async function statusShowsFailure(store: string, failure: RegExp): Promise<void> {
  const r = await jobtree(['status', store])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /state: +failed: \d+ job\(s\) failed completely/)
  assert.match(r.stdout, /time: +started \d{4}-\d\d-\d\dT[^,]+, ran for \d/)
  assert.match(r.stdout, /workflow: \/\S+ --target/, 'the module by its absolute path')
  assert.match(r.stdout, failure)
}

type Snapshot = null | { file: string } | { files: Record<string, string>; log: string }

/**
 * What a store path holds. LevelDB rewrites its own files whenever the log is
 * opened (by `status`, by this very digest), so the log is compared by its
 * events, and the rest of the store file by file.
 */
async function snapshot(path: string): Promise<Snapshot> {
  if (!existsSync(path)) return null
  if (!statSync(path).isDirectory()) return { file: sha256(readFileSync(path)) }
  const files: Record<string, string> = {}
  for (const name of readdirSync(path, { recursive: true, encoding: 'utf8' }).sort()) {
    if (name === 'events' || name.startsWith('events/')) continue
    const stat = lstatSync(join(path, name))
    files[name] = stat.isFile() ? sha256(readFileSync(join(path, name))) : stat.isDirectory() ? 'directory' : 'other'
  }
  return { files, log: existsSync(join(path, 'events')) ? await digestOf(path) : 'no log' }
}

async function digestOf(store: string): Promise<string> {
  try {
    return await logDigest(store)
  } catch (err) {
    // A running leader holds the log: its events are checked once it stops.
    if (err instanceof JobtreeError && err.code === 'STORE_IN_USE') return 'in use'
    throw err
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** A real leader on a store, its root job asleep for 20 s. */
class SleepingLeader {
  private constructor(
    private readonly child: ChildProcess,
    private readonly result: Promise<CliResult>,
    private readonly store: string,
  ) {}

  /** Starts it and waits until `jobtree status` gets its answer over the socket, and its job has started. */
  static async start(store: string): Promise<SleepingLeader> {
    const child = startJobtree(['run', TARGETS, '--target', 'sleeps', '--store', store, '--no-progress'])
    const leader = new SleepingLeader(child, finished(child), store)
    try {
      const deadline = Date.now() + 15_000
      for (;;) {
        if (!leader.running()) assert.fail(`the leader exited early: ${(await leader.result).stderr}`)
        const answered = await leader.status().catch(() => '')
        if (/state: +running/.test(answered) && /=== attempt 1 /.test(readIfThere(join(store, 'logs', '0.log')))) return leader
        if (Date.now() > deadline) assert.fail(`no running leader answered status in 15 s; last answer: ${answered}`)
        await sleep(200)
      }
    } catch (err) {
      await leader.kill()
      throw err
    }
  }

  /** `jobtree status` of its store (which asks the leader). */
  async status(): Promise<string> {
    const r = await jobtree(['status', this.store])
    assert.equal(r.code, 0, r.stderr)
    return r.stdout
  }

  /** SIGTERM, as a user's Ctrl-C: the leader stops its jobs and exits. */
  async stop(): Promise<CliResult> {
    this.child.kill('SIGTERM')
    return this.result
  }

  /** SIGKILL by pid, if it is still running. */
  async kill(): Promise<void> {
    if (this.running()) this.child.kill('SIGKILL')
    await this.result
  }

  private running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}
