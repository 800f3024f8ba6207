import { createConnection, type Socket } from 'node:net'
import type { Recorded } from '../events/catalogue.ts'
import { decodeStored } from '../store/log.ts'
import { JobtreeError } from '../errors.ts'
import { readAddress, type LeaderAddress } from './address.ts'
import { FrameReader } from './frames.ts'
import type { StorePaths } from '../store/store.ts'

// The client side of the leader's event stream (streamEvents.ts).

export interface StreamEnd {
  /** The leader ended the stream; the log's last event at that moment. Undefined: the connection was lost. */
  lastSeq: number | undefined
}

/**
 * Events `from` .. `to` from the store's running leader, then (with `follow`)
 * each new one until the leader stops. Throws STORE_IN_USE when no leader answers.
 */
export async function* leaderEvents(paths: StorePaths, from: number, to: number, follow: boolean): AsyncGenerator<Recorded, StreamEnd> {
  const address = readAddress(paths)
  const socket = await connect(paths, address)
  const reader = new FrameReader()
  let first = true
  try {
    socket.write(JSON.stringify({ request: 'events', token: address?.token, from, to: Number.isFinite(to) ? to : null, follow }) + '\n')
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      // A frame starts with its length, whose first byte is never '{': this is a refusal in JSON.
      if (first && chunk[0] === 0x7b) throw refused(paths, chunk.toString('utf8'))
      first = false
      for (const frame of reader.push(chunk)) {
        if (frame[0] === 'event') yield { seq: frame[1], event: decodeStored(paths.events, frame[1], frame[2]) }
        else if (frame[0] === 'end') return { lastSeq: frame[1] }
        else throw new JobtreeError('STORE_IN_USE', `the leader of ${paths.root} stopped the stream: ${frame[1]}`, { store: paths.root })
      }
    }
    return { lastSeq: undefined }
  } finally {
    socket.destroy()
  }
}

/** The store is locked but no leader listens: one is starting or stopping. */
export function noLeaderAnswers(err: unknown): boolean {
  return err instanceof JobtreeError && err.code === 'STORE_IN_USE' && err.context.noLeader === true
}

function connect(paths: StorePaths, address: LeaderAddress | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const noLeader = (why: string) =>
      new JobtreeError('STORE_IN_USE', `store ${paths.root} is in use by another process, and no leader answers (${why})`, {
        store: paths.root,
        noLeader: true,
      })
    if (address === undefined) return reject(noLeader('it has published no address'))
    const socket = createConnection(address.socket)
    socket.once('connect', () => {
      socket.off('error', onError)
      resolve(socket)
    })
    const onError = (err: Error) => reject(noLeader(`${address.socket}: ${err.message}`))
    socket.once('error', onError)
  })
}

function refused(paths: StorePaths, text: string): JobtreeError {
  let why = text.trim()
  try {
    why = (JSON.parse(why) as { error?: string }).error ?? why
  } catch {
    // Not JSON after all: shown as it came.
  }
  return new JobtreeError('STORE_IN_USE', `the leader of ${paths.root} refused to stream its events: ${why}`, { store: paths.root })
}
