import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { JobtreeError } from '../errors.ts'
import type { StorePaths } from '../store/store.ts'

// Where a running leader listens, and the secret that lets a client in. A
// Unix socket's own mode is not enough: it is set after the socket exists
// and follows the umask, and Node cannot ask the kernel who is connecting
// (SO_PEERCRED). So the leader writes its address and a random token to
// `leader.json` in the store, readable by its owner only; a client reads
// it, and sends the token with every request; a request without it is
// refused. A user who cannot read that file cannot ask the leader anything
// (status, events, kill), whatever the socket's or the store's mode.
//
// The socket is in the store when the path fits a socket's (~100 bytes);
// otherwise in a directory of the leader's own, made with a random name and
// mode 0700 (under $XDG_RUNTIME_DIR when there is one), so that nobody can
// squat the name in advance.

const MAX_SOCKET_PATH = 100
const ADDRESS_FILE = 'leader.json'
const PRIVATE_DIR_PREFIX = 'jobtree-'

export interface LeaderAddress {
  socket: string
  token: string
}

function addressFile(paths: StorePaths): string {
  return join(paths.root, ADDRESS_FILE)
}

/** A new address for a leader about to listen: a fresh token, and a socket path nobody else can have taken. */
export function newAddress(paths: StorePaths): LeaderAddress {
  const token = randomBytes(32).toString('hex')
  const inStore = join(paths.root, 'leader.sock')
  if (inStore.length <= MAX_SOCKET_PATH) return { socket: inStore, token }
  const base = runtimeDir()
  let dir: string
  try {
    dir = mkdtempSync(join(base, PRIVATE_DIR_PREFIX))
  } catch (err) {
    throw new JobtreeError(
      'STORE_INVALID',
      `the store's path is too long for a socket in it, and no private directory for one can be made in ${base} (${(err as Error).message}): set TMPDIR or XDG_RUNTIME_DIR to a writable directory`,
      { store: paths.root },
    )
  }
  return { socket: join(dir, 'leader.sock'), token }
}

function runtimeDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR
  if (runtime !== undefined && runtime !== '') {
    try {
      if (statSync(runtime).isDirectory()) return runtime
    } catch {
      // Not there: the temp directory will do, with a private directory in it.
    }
  }
  return tmpdir()
}

/** Publishes the address once the leader listens on it (whole or not at all, owner only). */
export function publishAddress(paths: StorePaths, address: LeaderAddress): void {
  chmodSync(address.socket, 0o600)
  const file = addressFile(paths)
  writeFileSync(`${file}.tmp`, JSON.stringify(address) + '\n', { mode: 0o600 })
  chmodSync(`${file}.tmp`, 0o600)
  renameSync(`${file}.tmp`, file)
}

/** Removes a leader's address and socket (its own, or those a killed leader left). */
export function withdrawAddress(paths: StorePaths, address: LeaderAddress | undefined = readAddress(paths)): void {
  rmSync(addressFile(paths), { force: true })
  if (address === undefined) return
  rmSync(address.socket, { force: true })
  const dir = dirname(address.socket)
  if (basename(dir).startsWith(PRIVATE_DIR_PREFIX) && dir !== paths.root) rmSync(dir, { recursive: true, force: true })
}

/** The running leader's address, or undefined when none is published. Throws when it belongs to another user. */
export function readAddress(paths: StorePaths): LeaderAddress | undefined {
  let text: string
  try {
    text = readFileSync(addressFile(paths), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'EACCES' || code === 'EPERM') {
      throw new JobtreeError(
        'PERMISSION',
        `the leader of ${paths.root} belongs to another user: only its owner may ask it for its status, its events or to stop`,
        { store: paths.root },
      )
    }
    throw err
  }
  try {
    const parsed = JSON.parse(text) as Partial<LeaderAddress>
    if (typeof parsed.socket === 'string' && typeof parsed.token === 'string') return { socket: parsed.socket, token: parsed.token }
  } catch {
    // Not an address this jobtree wrote: as if none were published.
  }
  return undefined
}

/** An identity of the published address that changes with each leader (followers wait for a new one). */
export function addressId(paths: StorePaths): string | undefined {
  try {
    const s = statSync(addressFile(paths))
    return `${s.ino}:${s.ctimeMs}`
  } catch {
    return undefined
  }
}

export function tokenMatches(address: LeaderAddress, given: unknown): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(address.token)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}
