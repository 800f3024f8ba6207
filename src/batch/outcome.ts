import type { AttemptOutcome } from '../decider/inputs.ts'
import { decodeResult, type ResultMessage } from '../worker/protocol.ts'

/** A worker's report of an attempt (over IPC, or from a result file) as the leader's input. */
export function resultOutcome(message: ResultMessage): AttemptOutcome {
  const { jobId, attempt, messages, stats, result } = message
  const now = Date.now()
  if (!result.ok) return { type: 'AttemptFailed', now, jobId, attempt, reason: result.reason, messages, stats }
  const { value, successors } = decodeResult(result.payload)
  return { type: 'AttemptSucceeded', now, jobId, attempt, value, successors, messages, stats }
}
