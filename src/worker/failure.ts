import type { FailureReason } from '../events/catalogue.ts'

/** A thrown value (an Error or anything else) as an attempt's failure. */
export function exceptionReason(err: unknown): FailureReason {
  if (!(err instanceof Error)) return { kind: 'exception', message: String(err) }
  return err.stack === undefined ? { kind: 'exception', message: err.message } : { kind: 'exception', message: err.message, stack: err.stack }
}
