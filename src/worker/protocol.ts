import type { IssuedJob } from '../batch/batchSystem.ts'
import type { AttemptStats, FailureReason } from '../events/catalogue.ts'
import type { SuccessorSpec } from '../engine/inputs.ts'
import { decodeValue, encodeForLog } from '../events/codec.ts'

// The messages between the local batch system (leader side) and a warm worker
// process, over Node's IPC channel with 'advanced' serialization.

/** Leader → worker: run one attempt. Sent only after the worker said it is ready. */
export interface RunMessage {
  type: 'run'
  job: IssuedJob
  /** After the attempt, the job's log file is cut back to its newest part beyond this size. */
  maxLogBytes: number
}

export type LeaderMessage = RunMessage

/** Worker → leader: listening; messages sent before this could be lost while tsx loads the worker. */
export interface ReadyMessage {
  type: 'ready'
  /** This worker's resident memory, idle: the baseline its first attempt's memory is measured against. */
  rss: number
}

/** Worker → leader: a command started in process group `pgid`, which must die with the attempt. */
export interface SpawnedMessage {
  type: 'spawned'
  jobId: number
  pgid: number
}

/** What a successful attempt produced, travelling as one CBOR payload. */
export interface ResultPayload {
  value: unknown
  successors: SuccessorSpec[]
}

export type AttemptResult = { ok: true; payload: Uint8Array } | { ok: false; reason: FailureReason }

/** Worker → leader: the attempt's outcome. */
export interface ResultMessage {
  type: 'result'
  jobId: number
  attempt: number
  result: AttemptResult
  messages: string[]
  stats: AttemptStats
  /** The worker exits after sending this (its state is suspect): give it no other attempt. */
  exiting: boolean
  /** This worker's resident memory after the attempt: the baseline for its next one. */
  rss: number
}

export type WorkerMessage = ReadyMessage | SpawnedMessage | ResultMessage

/**
 * Encodes with the log's own codec, so that a value the log could not store
 * fails in the worker, as the attempt's failure, and never in the leader.
 */
export function encodeResult(payload: ResultPayload, what: string): Uint8Array {
  // A copy: the codec's bytes are a view into a buffer it reuses on the next encode.
  return new Uint8Array(encodeForLog(payload, what))
}

export function decodeResult(bytes: Uint8Array): ResultPayload {
  return decodeValue(bytes) as ResultPayload
}
