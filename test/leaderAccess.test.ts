// Who may talk to a running leader. Its socket answers status, events and
// kill; a request must carry the token the leader writes to leader.json,
// readable by its owner only, so that another local user (or a group member
// under a loose umask) can neither read the run nor stop it.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { bin, finished, jobtree, repo, scratch, sleep } from './helpers/cli.ts'

const WORKFLOW = join(repo, 'test', 'fixtures', 'auditWorkflow.ts')

/** Starts a leader whose run waits for `gate`, under `umask`, and waits until it has published its address; `done` is its end. */
async function startHeld(t: TestContext, store: string, gate: string, umask: string) {
  const args = [bin, 'run', WORKFLOW, '--target', 'waitForGate', '--input', JSON.stringify(gate), '--store', store, '--no-progress']
  const child = spawn('/bin/sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', process.execPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  })
  const done = finished(child)
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  for (let i = 0; !existsSync(join(store, 'leader.json')); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`the leader did not start: ${JSON.stringify(await done)}`)
    await sleep(50)
  }
  return { done }
}

/** One raw request line on the socket, and the leader's answer. */
function rawRequest(socket: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket)
    let text = ''
    c.on('connect', () => c.write(line + '\n'))
    c.on('data', (d) => (text += d.toString()))
    c.on('end', () => resolve(text))
    c.on('error', reject)
  })
}

function mode(path: string): number {
  return statSync(path).mode & 0o777
}

/** Runs the jobtree command as the user nobody. */
function asNobody(args: string[]) {
  return finished(
    spawn('runuser', ['-u', 'nobody', '--', process.execPath, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }),
  )
}

test("under umask 000 the store, the socket and the token are the owner's alone; a request without the token is refused", { timeout: 120_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const gate = join(dir, 'gate')
  const { done: leader } = await startHeld(t, store, gate, '000')

  assert.equal(mode(store), 0o700)
  assert.equal(mode(join(store, 'leader.json')), 0o600)
  const address = JSON.parse(readFileSync(join(store, 'leader.json'), 'utf8')) as { socket: string; token: string }
  assert.equal(mode(address.socket), 0o600)

  for (const request of ['status', 'kill', 'events']) {
    const answer = await rawRequest(address.socket, JSON.stringify({ request, from: 1, to: null, follow: false }))
    assert.match(answer, /not authorized/, request)
    const wrong = await rawRequest(address.socket, JSON.stringify({ request, token: 'f'.repeat(64), from: 1, to: null, follow: false }))
    assert.match(wrong, /not authorized/, request)
  }
  // Nothing was stopped by the refused kills: the owner's status still finds the leader at work.
  const status = await jobtree(['status', store])
  assert.equal(status.code, 0, status.stderr)
  assert.match(status.stdout, /issued/)

  writeFileSync(gate, '')
  const done = await leader
  assert.equal(done.code, 0, done.stderr)
  assert.equal(existsSync(join(store, 'leader.json')), false, 'the address goes with the leader')
})

test('another local user can neither read a running leader nor stop it, and is told why in one line', { timeout: 120_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'this test switches to the user nobody: it must run as root (as CI does)')
  const dir = scratch(t)
  chmodSync(dir, 0o755) // so that only the store's own mode keeps nobody out
  const store = join(dir, 'store')
  const gate = join(dir, 'gate')
  const { done: leader } = await startHeld(t, store, gate, '000')

  for (const args of [
    ['status', store],
    ['kill', store],
    ['events', store],
    ['run', WORKFLOW, '--target', 'waitForGate', '--store', store, '--restart'],
  ]) {
    const r = await asNobody(args)
    assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`)
    assert.match(r.stderr, /^jobtree: error: store .* belongs to another user: only its owner may read it or run it\n$/, args[0])
  }
  // Even with the store opened to everyone, the token stays private, and the leader refuses.
  chmodSync(store, 0o777)
  for (const args of [
    ['status', store],
    ['kill', store],
  ]) {
    const r = await asNobody(args)
    assert.notEqual(r.code, 0, `${args[0]}: ${r.stdout}`)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  }
  const status = await jobtree(['status', store])
  assert.equal(status.code, 0, status.stderr)
  assert.match(status.stdout, /issued/)

  writeFileSync(gate, '')
  const done = await leader
  assert.equal(done.code, 0, `the leader was not stopped by another user: ${done.stderr}`)
})

test('a store path too long for a socket gets one in a private directory, not at a name anyone could squat', { timeout: 120_000 }, async (t) => {
  const dir = scratch(t)
  const deep = join(dir, 'a'.repeat(60), 'b'.repeat(60))
  mkdirSync(deep, { recursive: true })
  const store = join(deep, 'store')
  const gate = join(dir, 'gate')
  const { done: leader } = await startHeld(t, store, gate, '022')

  const address = JSON.parse(readFileSync(join(store, 'leader.json'), 'utf8')) as { socket: string }
  assert.ok(!address.socket.startsWith(store), address.socket)
  assert.ok(address.socket.length <= 107, address.socket)
  const privateDir = join(address.socket, '..')
  assert.equal(mode(privateDir), 0o700)
  assert.equal(statSync(privateDir).uid, process.getuid?.())
  const status = await jobtree(['status', store])
  assert.equal(status.code, 0, status.stderr)

  writeFileSync(gate, '')
  assert.equal((await leader).code, 0)
  assert.equal(existsSync(privateDir), false, 'the private directory goes with the leader')
})
