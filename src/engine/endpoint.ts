import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JobtreeError } from '../errors.ts'
import type { StatusReport } from './statusReport.ts'
import type { StorePaths } from './store.ts'

// LevelDB admits one process, so while a leader runs, `jobtree status` asks
// it over a Unix socket instead of opening the log. The socket lives in the
// store, or, when that path is too long for a socket, in the temp directory
// under a name derived from the store's path.

const MAX_SOCKET_PATH = 100

export function socketPath(paths: StorePaths): string {
  const inStore = join(paths.root, 'leader.sock')
  if (inStore.length <= MAX_SOCKET_PATH) return inStore
  return join(tmpdir(), `jobtree-${createHash('sha256').update(paths.root).digest('hex').slice(0, 20)}.sock`)
}

/** Serves status reports until closed. Call only while holding the store's lock. */
export async function serveStatus(paths: StorePaths, report: () => StatusReport): Promise<Server> {
  const path = socketPath(paths)
  rmSync(path, { force: true }) // left behind by a leader that was killed
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy())
    socket.end(JSON.stringify(report()) + '\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  server.unref()
  return server
}

export async function closeEndpoint(server: Server, paths: StorePaths): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(socketPath(paths), { force: true })
}

export function askLeader(paths: StorePaths, timeoutMs = 5000): Promise<StatusReport> {
  const path = socketPath(paths)
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(new JobtreeError('STORE_IN_USE', `store ${paths.root} is in use by another process, and no leader answers at ${path} (${why})`, { store: paths.root }))
    const socket = createConnection(path)
    const chunks: Buffer[] = []
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
      fail('timed out')
    })
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', (err) => fail(err.message))
    socket.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as StatusReport)
      } catch (err) {
        fail(`unreadable answer: ${(err as Error).message}`)
      }
    })
  })
}
