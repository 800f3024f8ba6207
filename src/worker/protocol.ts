import type { AttemptFiles, AttemptStats, FailureReason, JobSpec, Resources, SuccessorSpec } from '../events/catalogue.ts'
import type { AttemptOutcome } from '../decider/inputs.ts'
import { decodeValue, encodeForLog, encodeValue, MAX_VALUE_BYTES } from '../events/codec.ts'

// The contract between a batch system and the workers it starts: the attempt
// it hands over, and the messages a warm local worker exchanges with the
// leader over Node's IPC channel ('advanced' serialization). A Slurm job file
// holds a RunMessage and its result file a ResultMessage.

/** One attempt as the leader hands it to a batch system, and the batch system to a worker. */
export interface IssuedJob {
  jobId: number
  attempt: number
  /** The job, with every promise in its input already resolved. */
  spec: JobSpec
  /** Absolute path of the workflow module that registers the targets. */
  module: string
  /** The job's log file: stdout and stderr of every attempt are appended to it. */
  logFile: string
  /** The run's shared directory (ctx.globalDir). */
  globalDir: string
  /** The store's files directory, and the run whose file ids it holds (ctx.files). */
  filesDir: string
  runId: string
  /** Ids set aside for the jobs a worker may chain after this one (the run allows chaining and the batch system can). */
  chain?: { first: number; left: number }
}

/** One attempt for a worker to run (a Slurm job file holds one). */
export interface RunMessage {
  type: 'run'
  job: IssuedJob
  /** After the attempt, the job's log file is cut back to its newest part beyond this size. */
  maxLogBytes: number
}

/**
 * Leader → local worker: attempts to run one after the other, after those it
 * already has. Sent only after the worker said it is ready. The leader sends
 * the next one while the worker still runs the last, so that it never waits
 * for the leader between two short jobs.
 */
export interface QueueMessage {
  type: 'queue'
  runs: RunMessage[]
}

/** Leader → local worker: give back an attempt it has not started (another worker is free for it). */
export interface RevokeMessage {
  type: 'revoke'
  jobId: number
}

export type LeaderMessage = QueueMessage | RevokeMessage

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

/** Worker → leader: the answer to a revoke; `ok` when the attempt had not started and never will here. */
export interface RevokedMessage {
  type: 'revoked'
  jobId: number
  ok: boolean
}

/** What a successful attempt produced, travelling as one CBOR payload. */
export interface ResultPayload {
  value: unknown
  successors: SuccessorSpec[]
  files?: AttemptFiles
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
  /** The worker now runs the attempt's lone successor itself, as attempt 1 of this job id, with these resources. */
  chained?: { jobId: number; resources: Resources }
}

export type WorkerMessage = ReadyMessage | SpawnedMessage | RevokedMessage | ResultMessage

/**
 * How a result travels: each distinct successor spec once, and per
 * successor its spec's index × 2 + 1 for a follow-on. A parent adding
 * 100,000 identical leaves sends one spec, and the leader then holds one.
 */
interface WireResult {
  value: unknown
  specs: JobSpec[]
  successors: number[]
  files?: AttemptFiles
}

/**
 * Encodes with the log's own codec, so that a value the log could not store
 * fails in the worker, as the attempt's failure, and never in the leader.
 * The cap on one value covers the returned value and each successor's input
 * (checked when it was added), not their sum: the log stores each apart, so
 * a job may add as many successors as the leader has memory for.
 */
export function encodeResult(payload: ResultPayload, what: string): Uint8Array {
  const index = new Map<string, number>()
  const wire: WireResult = { value: payload.value, specs: [], successors: [], ...(payload.files === undefined ? {} : { files: payload.files }) }
  for (const { relation, spec } of payload.successors) {
    // Specs are the same when their encodings are: the log could not tell them apart either.
    const encoded = encodeValue(spec)
    const key = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString('latin1')
    let at = index.get(key)
    if (at === undefined) {
      at = wire.specs.push(spec) - 1
      index.set(key, at)
    }
    wire.successors.push(at * 2 + (relation === 'followOn' ? 1 : 0))
  }
  let bytes: Uint8Array
  try {
    // A copy: the codec's bytes are a view into a buffer it reuses on the next encode.
    bytes = new Uint8Array(encodeValue(wire))
  } catch (err) {
    // Successor specs were checked when added: the value is what cannot be encoded.
    encodeForLog(payload.value, what)
    throw err
  }
  // The value alone is checked only when the whole might hide it over the cap, so that it is encoded once.
  if (bytes.length > MAX_VALUE_BYTES) encodeForLog(payload.value, what)
  return bytes
}

export function decodeResult(bytes: Uint8Array): ResultPayload {
  const wire = decodeValue(bytes) as WireResult
  const successors = new Array<SuccessorSpec>(wire.successors.length)
  for (let i = 0; i < successors.length; i++) {
    const code = wire.successors[i]
    successors[i] = { relation: code % 2 === 1 ? 'followOn' : 'child', spec: wire.specs[Math.floor(code / 2)] }
  }
  return { value: wire.value, successors, ...(wire.files === undefined ? {} : { files: wire.files }) }
}

/** A worker's report of an attempt (over IPC, or from a result file) as the leader's input. */
export function resultOutcome(message: ResultMessage): AttemptOutcome {
  const { jobId, attempt, messages, stats, result } = message
  const now = Date.now()
  if (!result.ok) return { type: 'AttemptFailed', now, jobId, attempt, reason: result.reason, messages, stats }
  const { value, successors, files } = decodeResult(result.payload)
  return { type: 'AttemptSucceeded', now, jobId, attempt, value, successors, messages, stats, ...(files === undefined ? {} : { files }) }
}
