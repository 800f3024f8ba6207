// Who may read a store, tried as real other local users: the store holds the
// run's inputs (credentials, often), so under the usual umask 022 another
// user reads nothing in it and cannot reach its leader's socket; a store
// made with --shared-group is readable by that group's members, and still
// nobody else's. Jobs' own files outside the store keep the user's umask.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { bin, finished, repo, scratch, sleep, type CliResult } from './helpers/cli.ts'

const WORKFLOW = join(repo, 'test', 'fixtures', 'privacyWorkflow.ts')

/** Runs a system command as root; throws with its output when it fails. */
function system(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' })
  if (r.error !== undefined) throw new Error(`${command} cannot be run (${r.error.message}): these tests need it (Debian: apt-get install passwd)`)
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`)
}

/** A throwaway name, for a user or a group. */
const throwaway = (kind: string) => `jt${kind}${randomBytes(4).toString('hex')}`

/** A throwaway group, removed (by name) when the test ends. */
function addGroup(t: TestContext): string {
  const name = throwaway('g')
  system('groupadd', [name])
  t.after(() => system('groupdel', [name]))
  return name
}

/** A throwaway local user (no home, no login shell), in `groups` too; removed by name when the test ends, whatever happened. */
function addUser(t: TestContext, groups: string[] = []): string {
  assert.equal(process.getuid?.(), 0, 'these tests add local users: they must run as root (as CI does)')
  const name = throwaway('u')
  system('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', ...(groups.length > 0 ? ['--groups', groups.join(',')] : []), name])
  t.after(() => system('userdel', [name]))
  return name
}

/** Runs `args` as `user`. */
function asUser(user: string, args: string[]): Promise<CliResult> {
  return finished(spawn('runuser', ['-u', user, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }))
}

// Run as the other user: what each path gives (its contents read, or the
// error's code), and whether the socket takes a connection.
const PROBE = `
const fs = require('node:fs'), net = require('node:net')
const [socket, ...paths] = process.argv.slice(1)
const seen = {}
for (const p of paths) {
  try { fs.statSync(p).isDirectory() ? fs.readdirSync(p) : fs.readFileSync(p); seen[p] = 'read' } catch (e) { seen[p] = e.code }
}
const c = net.createConnection(socket)
const done = (what) => { seen.socket = what; c.destroy(); console.log(JSON.stringify(seen)) }
c.on('connect', () => done('connected'))
c.on('error', (e) => done(e.code))
`

async function probe(user: string, socket: string, paths: string[]): Promise<Record<string, string>> {
  const r = await asUser(user, [process.execPath, '-e', PROBE, socket, ...paths])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as Record<string, string>
}

/** Every path in the store (but sockets), the store itself first. */
function everything(store: string): string[] {
  const names = readdirSync(store, { recursive: true, encoding: 'utf8' }).map((name) => join(store, name))
  return [store, ...names.filter((path) => !lstatSync(path).isSocket())]
}

const mode = (path: string) => statSync(path).mode & 0o7777

/** A leader under `umask` whose run has left a log line, a file in global/ and files outside, held until its gate opens. */
async function startTraces(t: TestContext, umask: string, extra: string[] = []) {
  const dir = scratch(t, 'jobtree-privacy-')
  chmodSync(dir, 0o755) // so that only the store's own modes keep the other users out
  const store = join(dir, 'store')
  const out = join(dir, 'out')
  const gate = join(dir, 'gate')
  mkdirSync(out, { mode: 0o755 })
  const input = JSON.stringify({ out, gate })
  const args = [bin, 'run', WORKFLOW, '--target', 'leaveTraces', '--input', input, '--store', store, '--no-progress', ...extra]
  const child = spawn('/bin/sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', process.execPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  })
  const done = finished(child)
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const ready = () =>
    existsSync(join(store, 'leader.json')) &&
    existsSync(join(out, 'command.txt')) &&
    existsSync(join(store, 'global', 'shared.txt')) &&
    readFileSync(join(store, 'logs', '0.log'), 'utf8').includes('the secret is 42')
  for (let i = 0; !ready(); i++) {
    if (child.exitCode !== null || i > 1200) throw new Error(`the run did not get under way: ${JSON.stringify(await done)}`)
    await sleep(50)
  }
  const socket = (JSON.parse(readFileSync(join(store, 'leader.json'), 'utf8')) as { socket: string }).socket
  const end = async () => {
    writeFileSync(gate, '')
    const r = await done
    assert.equal(r.code, 0, r.stderr)
  }
  return { dir, store, out, socket, end }
}

test('under umask 022 another local user reads nothing in a store and cannot reach its leader; jobs keep the umask', { timeout: 180_000 }, async (t) => {
  const other = addUser(t)
  const run = await startTraces(t, '022')
  const { store, socket } = run

  for (const path of everything(store)) {
    // A file a job writes itself in global/ has the job's umask: the directories above it keep others out.
    if (path === join(store, 'global', 'shared.txt')) assert.equal(mode(path), 0o644)
    else assert.equal(mode(path), statSync(path).isDirectory() ? 0o700 : 0o600, path)
  }
  assert.equal(mode(socket), 0o600)
  for (const file of ['target.txt', 'command.txt']) assert.equal(mode(join(run.out, file)), 0o644, `${file} follows the user's umask`)

  const paths = everything(store)
  for (const name of ['jobtree.json', 'leader.json', 'events', 'logs/0.log', 'global/shared.txt']) assert.ok(paths.includes(join(store, name)), name)
  const seen = await probe(other, socket, paths)
  for (const path of [...paths, 'socket']) assert.equal(seen[path], 'EACCES', `${other} got at ${path}`)

  // Even with every directory of the store opened to all, what jobtree wrote stays unreadable, and the socket shut.
  for (const path of paths) if (statSync(path).isDirectory()) chmodSync(path, 0o755)
  const files = everything(store).filter((path) => !statSync(path).isDirectory() && path !== join(store, 'global', 'shared.txt'))
  const opened = await probe(other, socket, files)
  for (const path of [...files, 'socket']) assert.equal(opened[path], 'EACCES', `${other} got at ${path} in an opened store`)
  for (const path of paths) if (statSync(path).isDirectory()) chmodSync(path, 0o700)

  await run.end()
  // LevelDB's files made since (its compaction at the close), too.
  for (const path of everything(store)) if (!statSync(path).isDirectory() && path !== join(store, 'global', 'shared.txt')) assert.equal(mode(path), 0o600, path)
})

test('with --shared-group its members read the store, whatever the umask; others read nothing; the leader stays its owner’s', {
  timeout: 180_000,
}, async (t) => {
  const group = addGroup(t)
  const member = addUser(t, [group])
  const outsider = addUser(t)
  const run = await startTraces(t, '077', ['--shared-group', group])
  const { store, socket } = run
  const gid = Number(spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.split(':')[2])

  assert.deepEqual(JSON.parse(readFileSync(join(store, 'jobtree.json'), 'utf8')).sharedGroup, gid)
  const own = (path: string) => path !== join(store, 'global', 'shared.txt') && path !== join(store, 'leader.json')
  for (const path of everything(store)) {
    assert.equal(statSync(path).gid, gid, path)
    if (statSync(path).isDirectory()) assert.equal(mode(path), 0o2750, path)
    else if (own(path)) assert.equal(mode(path), 0o640, path)
  }
  // The token lets its holder stop the run: it, and the socket, stay the owner's.
  assert.equal(mode(join(store, 'leader.json')), 0o600)
  assert.equal(mode(socket), 0o600)
  // A job's own file follows the job's umask (077 here): it shares what it means to.
  assert.equal(mode(join(store, 'global', 'shared.txt')), 0o600)
  assert.equal(mode(join(run.out, 'target.txt')), 0o600)

  const paths = everything(store).filter(own)
  const read = await probe(member, socket, paths)
  for (const path of paths) assert.equal(read[path], 'read', `${member} could not read ${path}`)
  assert.equal(read.socket, 'EACCES', 'a member cannot connect to the socket')
  const status = await asUser(member, [process.execPath, bin, 'status', store])
  assert.equal(status.code, 2, status.stderr)
  assert.match(
    status.stderr,
    /^jobtree: error: store \S+ is shared with your group to read its files, not to open its log: copy it \(cp -r\) and read the copy\n$/,
  )

  const shut = await probe(outsider, socket, paths)
  for (const path of [...paths, 'socket']) assert.equal(shut[path], 'EACCES', `${outsider} got at ${path}`)

  await run.end()
  // A restart (here of a finished run, whose leader opens the log and stops) keeps the store's modes for what it makes.
  const restart = await finished(
    spawn('/bin/sh', ['-c', 'umask 077 && exec "$@"', 'sh', process.execPath, bin, 'run', WORKFLOW, '--store', store, '--restart']),
  )
  assert.equal(restart.code, 0, restart.stderr)
  for (const path of everything(store).filter(own)) assert.equal(mode(path), statSync(path).isDirectory() ? 0o2750 : 0o640, path)

  // What a member does with a finished store: copy it, and read the copy.
  const copies = join(run.dir, 'copies')
  mkdirSync(copies)
  chownSync(copies, Number(spawnSync('id', ['-u', member], { encoding: 'utf8' }).stdout), gid)
  const copied = await asUser(member, ['cp', '-r', store, join(copies, 'store')])
  // All but the job's own private file.
  assert.deepEqual(copied.stderr.trim().split('\n'), [`cp: cannot open '${join(store, 'global', 'shared.txt')}' for reading: Permission denied`])
  const copyStatus = await asUser(member, [process.execPath, bin, 'status', join(copies, 'store')])
  assert.equal(copyStatus.code, 0, copyStatus.stderr)
  assert.match(copyStatus.stdout, /complete: every job succeeded/)
})
