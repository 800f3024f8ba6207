// The file store end to end, through the real command and real workers:
// files written, read, handed on, deleted, exported and imported; what a
// failed attempt wrote never shows; `jobtree files` lists and exports; and
// each misuse is a one-line error that leaves the store as it was.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { importFile, run } from '../src/index.ts'
import { hashesImports } from './fixtures/fileTargets.ts'
import { jobtree, logDigest, readEvents, scratch } from './helpers/cli.ts'
import { filesUnder, stateOf, storeFilesProblems } from './helpers/invariants/files.ts'
import type { JobEvent } from '../src/events/catalogue.ts'

const TARGETS = 'test/fixtures/fileTargets.ts'
const quiet = ['--no-progress', '--log-level', 'warn']

function runArgs(store: string, target: string, input: unknown, ...more: string[]): string[] {
  return ['run', TARGETS, '--target', target, '--store', store, '--input', JSON.stringify(input), ...quiet, ...more]
}

/** The store's files against its log, and the log's verdict on itself. */
async function consistent(store: string): Promise<JobEvent[]> {
  const events = await readEvents(store)
  assert.deepEqual(storeFilesProblems(join(store, 'files'), events), [])
  const verify = await jobtree(['replay', store, '--verify'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  return events
}

/** A store whose root value keeps three files, and one of them exported to `exported`. */
async function threeFiles(t: TestContext) {
  const dir = scratch(t, 'jobtree-files-')
  const store = join(dir, 'store')
  const exported = join(dir, 'exported.txt')
  const r = await jobtree(runArgs(store, 'writesThree', { export: exported }))
  assert.equal(r.code, 0, r.stderr)
  const value = JSON.parse(r.stdout) as { files: string[]; read: string[] }
  return { dir, store, exported, value }
}

test('files: written from a path, bytes and a stream; read in place, linked, copied and streamed by another job; exported', async (t) => {
  const { store, exported, value } = await threeFiles(t)
  assert.deepEqual(value.read, ['bytes of path\n', 'bytes of bytes\n', 'bytes of stream\n'])
  assert.equal(readFileSync(exported, 'utf8'), 'bytes of bytes\n')
  const events = await consistent(store)
  // The root's value names all three: a finished run keeps them.
  assert.deepEqual(
    [...stateOf(events).files.entries()].map(([, f]) => f.id),
    value.files,
  )
  assert.equal(events.filter((e) => e.type === 'FileExported').length, 1)
  // The store's own files may not be changed, nor read by others; what was exported is the user's.
  for (const name of filesUnder(join(store, 'files'))) assert.equal(statSync(join(store, 'files', name)).mode & 0o777, 0o400, name)
  assert.equal(statSync(exported).mode & 0o777, 0o644 & ~process.umask())
  const list = await jobtree(['files', store])
  assert.equal(list.code, 0, list.stderr)
  assert.match(list.stdout, /3 file\(s\)/)
  assert.match(list.stdout, /bytes\.txt .* exported/)
  assert.match(list.stdout, /local\.txt/)
  const json = JSON.parse((await jobtree(['files', store, '--json'])).stdout) as { files: Array<{ id: string }> }
  assert.deepEqual(
    json.files.map((f) => f.id),
    value.files,
  )
  // As they stood before the first was written: none.
  const firstWrite = (await readEvents(store)).findIndex((e) => e.type === 'FileWritten') + 1
  assert.match((await jobtree(['files', store, '--to', String(firstWrite - 1)])).stdout, /0 file\(s\)/)
})

test('files: an attempt that fails after writing leaves nothing, whether it threw or its worker was killed', async (t) => {
  for (const how of ['throw', 'die'] as const) {
    const store = join(scratch(t, 'jobtree-files-'), 'store')
    const r = await jobtree(runArgs(store, 'writesThenFails', { how }, '--retry-count', '1'))
    assert.equal(r.code, 1, r.stderr)
    const events = await consistent(store)
    assert.equal(events.filter((e) => e.type === 'JobFailed').length, 2)
    assert.equal(events.filter((e) => e.type === 'FileWritten').length, 0)
    assert.deepEqual(filesUnder(join(store, 'files')), [], `${how}: nothing of the failed attempts is left`)
  }
})

test('files: a delete takes effect with the success of the job that asked; a file deleted by its own attempt is never recorded', async (t) => {
  const store = join(scratch(t, 'jobtree-files-'), 'store')
  const r = await jobtree(runArgs(store, 'writesForDelete', null))
  assert.equal(r.code, 0, r.stderr)
  const events = await consistent(store)
  assert.deepEqual(
    events.filter((e) => e.type === 'FileWritten').map((e) => 'jobId' in e && `${e.jobId}-${e.n}`),
    ['0-0', '1-1', '1-2'],
  )
  assert.equal(events.filter((e) => e.type === 'FileDeleted').length, 1)
  // Kept by the root's value, each with its own bytes (a write after a delete does not take a deleted file's place).
  assert.deepEqual(filesUnder(join(store, 'files')), ['1-1/1', '1-1/2'])
})

test('files: a file nothing names goes with the run; --keep-files keeps it', async (t) => {
  const dir = scratch(t, 'jobtree-files-')
  for (const keep of [false, true]) {
    const store = join(dir, `store-${keep}`)
    const r = await jobtree(runArgs(store, 'writesAndForgets', null, ...(keep ? ['--keep-files'] : [])))
    assert.equal(r.code, 0, r.stderr)
    const events = await consistent(store)
    assert.equal(events.filter((e) => e.type === 'FilesReleased').length, keep ? 0 : 1)
    assert.equal(filesUnder(join(store, 'files')).length, keep ? 1 : 0)
  }
})

test('files: imports from a path, a file: URL and an http: URL, on the command line and through run()', async (t) => {
  const dir = scratch(t, 'jobtree-files-')
  const a = join(dir, 'a.txt')
  const b = join(dir, 'b.txt')
  writeFileSync(a, 'first input\n')
  writeFileSync(b, Buffer.alloc(3 * 2 ** 20, 7))
  const server = createServer((req, res) => {
    if (req.url === '/c.txt') res.end('served over http\n')
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/c.txt`
  const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')
  const expected = [sha(readFileSync(a)), sha(readFileSync(b)), sha('served over http\n')]

  const store = join(dir, 'store')
  const input = { files: [{ $import: a }, { $import: pathToFileURL(b).href }, { $import: url }] }
  const r = await jobtree(runArgs(store, 'hashesImports', input))
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), expected)
  const events = await consistent(store)
  assert.equal(events.filter((e) => e.type === 'FileWritten' && e.jobId === -1).length, 3)
  // Nothing names them once the root has succeeded.
  assert.deepEqual(filesUnder(join(store, 'files')), [])

  const api = await run(hashesImports, { files: [importFile(a), importFile(url)] }, { store: join(dir, 'api-store'), logLevel: 'silent' })
  assert.deepEqual(api, [expected[0], expected[2]])
})

/** Runs `args`, expecting a one-line error matching `message`, exit 2 unless given, and the store untouched. */
async function refused(store: string, args: string[], message: RegExp, code = 2): Promise<void> {
  const before = await logDigest(store)
  const files = filesUnder(join(store, 'files'))
  const r = await jobtree(args)
  assert.equal(r.code, code, r.stdout + r.stderr)
  const last = r.stderr.trim().split('\n').at(-1) ?? ''
  assert.match(last, message)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
  assert.equal(await logDigest(store), before, 'the log is as it was')
  assert.deepEqual(filesUnder(join(store, 'files')), files, 'the files are as they were')
}

test('files: export from the command line: checked, refused over an existing file without --force, unknown, foreign and damaged ids refused', async (t) => {
  const { dir, store, exported, value } = await threeFiles(t)
  const [fromPath, fromBytes] = value.files
  const out = join(dir, 'out.txt')
  const ok = await jobtree(['files', store, '--export', fromPath, out])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(readFileSync(out, 'utf8'), 'bytes of path\n')

  await refused(
    store,
    ['files', store, '--export', fromBytes, exported],
    /^jobtree: error: cannot export file bytes\.txt to .*exported\.txt: a file is there already/,
  )
  const forced = await jobtree(['files', store, '--export', fromBytes, out, '--force'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.equal(readFileSync(out, 'utf8'), 'bytes of bytes\n')

  const unknown = fromPath.replace(/:0-1-0:/, ':0-1-9:')
  await refused(store, ['files', store, '--export', unknown, join(dir, 'x')], /^jobtree: error: file local\.txt .* is not in store .*: it was never visible/)
  const foreign = fromPath.replace(/^file:[^:]+:/, 'file:another-run:')
  await refused(store, ['files', store, '--export', foreign, join(dir, 'x')], /^jobtree: error: file local\.txt .* belongs to run another-run, not to this run/)
  await refused(store, ['files', store, '--export', 'not-an-id', join(dir, 'x')], /^jobtree: error: "not-an-id" is not a file id/)
  await refused(store, ['files', store, '--export', fromPath], /^jobtree: error: option --export takes a file id and a destination/)

  // A damaged file is named, not handed out.
  const stored = join(store, 'files', '0-1', '0')
  chmodSync(stored, 0o600)
  appendFileSync(stored, 'x')
  await refused(
    store,
    ['files', store, '--export', fromPath, join(dir, 'y')],
    /^jobtree: error: file local\.txt in the store is damaged: it holds 15 bytes, not 14/,
  )
  assert.equal(existsSync(join(dir, 'y')), false)
})

test('files: a job reading a deleted, unknown or foreign id fails, naming the file; importing a missing path makes no store', async (t) => {
  const { dir, value } = await threeFiles(t)
  const other = join(dir, 'other')
  const foreign = await jobtree(runArgs(other, 'readsId', { id: value.files[0] }, '--retry-count', '0'))
  assert.equal(foreign.code, 1, foreign.stderr)
  assert.match(foreign.stderr, /file local\.txt .* belongs to run [0-9a-f-]+, not to this run/)

  const deleted = await jobtree(runArgs(join(dir, 'deleted'), 'readsAfterDelete', null, '--retry-count', '0'))
  assert.equal(deleted.code, 1, deleted.stderr)
  assert.match(deleted.stderr, /file gone\.txt \(file:.*\) is not in the store: it was deleted, or released once nothing named it/)

  const unknown = await jobtree(runArgs(join(dir, 'unknown'), 'readsId', { id: 'file:nope' }, '--retry-count', '0'))
  assert.equal(unknown.code, 1, unknown.stderr)
  assert.match(unknown.stderr, /"file:nope" is not a file id/)

  const missing = join(dir, 'missing-store')
  const r = await jobtree(runArgs(missing, 'hashesImports', { files: [{ $import: join(dir, 'nope.txt') }] }))
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr.trim(), /^jobtree: error: cannot import .*nope\.txt: ENOENT/)
  assert.equal(existsSync(missing), false, 'no store was made')
})
