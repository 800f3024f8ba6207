import { rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { newAddress, publishAddress, tokenMatches, withdrawAddress, type LeaderAddress } from './address.ts'
import type { EventsRequest } from './streamEvents.ts'
import type { StorePaths } from '../store/store.ts'

// LevelDB admits one process, so while a leader runs, other commands ask it
// over a Unix socket instead of opening the log: `status`, `kill`, and any
// request added to `LeaderRequests`. A client (ask.ts, readEvents.ts) sends
// one JSON line naming the request, with the token the leader published
// (address.ts); the leader answers on the same connection.

/** What a running leader can be asked. */
export interface LeaderRequests {
  /** The run's status (audit/statusReport.ts), sent as JSON. */
  status(): object
  /** Stops the run as a signal would. */
  kill(): void
  /** Streams the log's events on the socket, in binary frames (frames.ts), and ends it. */
  events(socket: Socket, request: EventsRequest): void
}

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
    socket.end(JSON.stringify({ ok: false, error: "not authorized: a request needs the token in the store's leader.json" }) + '\n')
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
