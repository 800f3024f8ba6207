// Typed errors. Every error a user can cause carries a code and the context
// that names the problem, and prints as one line.

export type ErrorCode =
  | 'BAD_OPTION'
  | 'BAD_INPUT'
  | 'STORE_EXISTS'
  | 'STORE_MISSING'
  | 'STORE_INVALID'
  | 'STORE_IN_USE'
  | 'LOG_CORRUPT'
  | 'MODULE_LOAD'
  | 'UNKNOWN_TARGET'
  | 'NOT_ENCODABLE'
  | 'WORKFLOW_FAILED'
  | 'BATCH_SYSTEM'
  | 'PERMISSION'
  /** A write found no space left under the store (a full disk, a quota): the machine's doing, not a bug. */
  | 'DISK_FULL'
  /** The event log could not be written for another reason the system gave (an I/O error, a read-only file system). */
  | 'STORE_IO'
  /** A file id names no file in the store (never visible, deleted, or released). */
  | 'FILE_MISSING'
  /** A file in the store does not hold the bytes its id names. */
  | 'FILE_DAMAGED'
  /** A file would be written where one exists already (an export without --force). */
  | 'FILE_EXISTS'

export class JobtreeError extends Error {
  override readonly name = 'JobtreeError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

/**
 * The first line of an error's message, for one-line reports. A first line
 * that only announces what follows ("Transform failed with 1 error:", as tsx
 * reports a syntax error) is joined with the next one, which says what is wrong.
 */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const [first, second] = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
  if (first === undefined) return text.trim()
  return first.endsWith(':') && second !== undefined ? `${first} ${second}` : first
}
