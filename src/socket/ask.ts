import { createConnection } from 'node:net'
import { JobtreeError } from '../errors.ts'
import type { StorePaths } from '../store/store.ts'
import { readAddress } from './address.ts'
import type { LeaderRequests } from './server.ts'

// The client side of the leader's one-line requests (server.ts).

export type RequestName = keyof LeaderRequests

/** Sends one request to the store's running leader and resolves with its answer. */
export function askLeader(paths: StorePaths, request: RequestName, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const address = readAddress(paths)
    const where = address === undefined ? 'it has published no address' : address.socket
    const fail = (why: string) =>
      reject(
        new JobtreeError('STORE_IN_USE', `store ${paths.root} is in use by another process, and no leader answers (${where}: ${why})`, { store: paths.root }),
      )
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

/** True when the store's leader answers a status request within `timeoutMs`. */
export function leaderAnswers(paths: StorePaths, timeoutMs: number): Promise<boolean> {
  return askLeader(paths, 'status', timeoutMs).then(
    () => true,
    () => false,
  )
}
