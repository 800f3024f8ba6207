import { rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { JobtreeError } from '../errors.ts'
import { newAddress, publishAddress, readAddress, tokenMatches, withdrawAddress, type LeaderAddress } from './address.ts'
import type { EventsRequest } from './streamEvents.ts'
import type { StatusReport } from '../audit/statusReport.ts'
import type { StorePaths } from '../store/store.ts'

// LevelDB admits one process, so while a leader runs, other commands ask it
// over a Unix socket instead of opening the log: `status`, `kill`, and any
// request added to `LeaderRequests`. A client sends one JSON line naming the
// request, with the token the leader published (address.ts); the
// leader answers on the same connection.

/** What a running leader can be asked. */
export interface LeaderRequests {
  status(): StatusReport
  /** Stops the run as a signal would. */
  kill(): void
  /** Streams the log's events on the socket, in binary frames (frames.ts), and ends it. */
  events(socket: Socket, request: EventsRequest): void
}

export type RequestName = keyof LeaderRequests

export interface Endpoint {
  server: Server
  address: LeaderAddress
}

/** Serves requests until closed. Call only while holding the store's lock. */
export async function serveLeader(paths: StorePaths, requests: LeaderRequests): Promise<Endpoint> {
  withdrawAddress(paths) // what a leader that was killed left behind
  const address = newAddress(paths)
  rmSync(address.socket, { force: true })
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy())
    readLine(socket, (line) => answer(socket, requests, address, line))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.socket, () => resolve())
  })
  server.unref()
  publishAddress(paths, address)
  return { server, address }
}

function answer(socket: Socket, requests: LeaderRequests, address: LeaderAddress, line: string): void {
  let message: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed === 'object' && parsed !== null) message = parsed as Record<string, unknown>
  } catch {
    // Answered below as an unknown request.
  }
  if (!tokenMatches(address, message.token)) {
    socket.end(JSON.stringify({ ok: false, error: 'not authorized: a request needs the token in the store\'s leader.json' }) + '\n')
    return
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

export async function closeEndpoint(endpoint: Endpoint, paths: StorePaths): Promise<void> {
  withdrawAddress(paths, endpoint.address)
  await new Promise<void>((resolve) => endpoint.server.close(() => resolve()))
}

/** Sends one request to the store's running leader and resolves with its answer. */
export function askLeader(paths: StorePaths, request: RequestName, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const address = readAddress(paths)
    const where = address === undefined ? 'it has published no address' : address.socket
    const fail = (why: string) =>
      reject(new JobtreeError('STORE_IN_USE', `store ${paths.root} is in use by another process, and no leader answers (${where}: ${why})`, { store: paths.root }))
    if (address === undefined) return fail('not listening')
    const socket = createConnection(address.socket)
    const chunks: Buffer[] = []
    socket.setTimeout(timeoutMs, () => {
      socket.destroy()
      fail('timed out')
    })
    socket.on('connect', () => socket.write(JSON.stringify({ request, token: address.token }) + '\n'))
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
