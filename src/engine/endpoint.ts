import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JobtreeError } from '../errors.ts'
import type { EventsRequest } from './eventStreams.ts'
import type { StatusReport } from './statusReport.ts'
import type { StorePaths } from './store.ts'

// LevelDB admits one process, so while a leader runs, other commands ask it
// over a Unix socket instead of opening the log: `status`, `kill`, and any
// request added to `LeaderRequests`. A client sends one JSON line naming the
// request; the leader answers on the same connection. The socket lives in
// the store, or, when that path is too long for a socket, in the temp
// directory under a name derived from the store's path.

const MAX_SOCKET_PATH = 100

/** What a running leader can be asked. */
export interface LeaderRequests {
  status(): StatusReport
  /** Stops the run as a signal would. */
  kill(): void
  /** Streams the log's events on the socket, in binary frames (frames.ts), and ends it. */
  events(socket: Socket, request: EventsRequest): void
}

export type RequestName = keyof LeaderRequests

export function socketPath(paths: StorePaths): string {
  const inStore = join(paths.root, 'leader.sock')
  if (inStore.length <= MAX_SOCKET_PATH) return inStore
  return join(tmpdir(), `jobtree-${createHash('sha256').update(paths.root).digest('hex').slice(0, 20)}.sock`)
}

/** Serves requests until closed. Call only while holding the store's lock. */
export async function serveLeader(paths: StorePaths, requests: LeaderRequests): Promise<Server> {
  const path = socketPath(paths)
  rmSync(path, { force: true }) // left behind by a leader that was killed
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy())
    readLine(socket, (line) => answer(socket, requests, line))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  server.unref()
  return server
}

function answer(socket: Socket, requests: LeaderRequests, line: string): void {
  let message: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed === 'object' && parsed !== null) message = parsed as Record<string, unknown>
  } catch {
    // Answered below as an unknown request.
  }
  const name = message.request
  switch (name) {
    case 'status':
      socket.end(JSON.stringify({ ok: true, status: requests.status() }) + '\n')
      return
    case 'kill':
      requests.kill()
      socket.end(JSON.stringify({ ok: true }) + '\n')
      return
    case 'events': {
      const { from, to, follow } = message
      if (typeof from === 'number' && (to === null || typeof to === 'number') && typeof follow === 'boolean') {
        requests.events(socket, { request: 'events', from, to, follow })
        return
      }
      socket.end(JSON.stringify({ ok: false, error: 'an events request needs from, to and follow' }) + '\n')
      return
    }
    default:
      socket.end(JSON.stringify({ ok: false, error: `unknown request ${JSON.stringify(name)}` }) + '\n')
  }
}

function readLine(socket: Socket, then: (line: string) => void): void {
  let text = ''
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8')
    const nl = text.indexOf('\n')
    if (nl === -1) return
    socket.off('data', onData)
    then(text.slice(0, nl))
  }
  socket.on('data', onData)
}

export async function closeEndpoint(server: Server, paths: StorePaths): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(socketPath(paths), { force: true })
}

/** Sends one request to the store's running leader and resolves with its answer. */
export function askLeader(paths: StorePaths, request: RequestName, timeoutMs = 5000): Promise<unknown> {
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
    socket.on('connect', () => socket.write(JSON.stringify({ request }) + '\n'))
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', (err) => fail(err.message))
    socket.on('end', () => {
      let reply: { ok?: boolean; error?: string; status?: unknown }
      try {
        reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof reply
      } catch (err) {
        return fail(`unreadable answer: ${(err as Error).message}`)
      }
      if (reply.ok !== true) return fail(reply.error ?? 'the leader refused the request')
      resolve(request === 'status' ? reply.status : reply)
    })
  })
}

export async function leaderStatus(paths: StorePaths): Promise<StatusReport> {
  return (await askLeader(paths, 'status')) as StatusReport
}
