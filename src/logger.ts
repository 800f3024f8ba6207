// The leader's voice. Levels as the CLI's --log-level takes them.
import { printable } from './printable.ts'

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Logger {
  error(message: string): void
  warn(message: string): void
  info(message: string): void
  debug(message: string): void
}

/** Writes to stderr (control characters escaped: messages carry what jobs wrote) the messages at `level` or more severe; `before` runs first (to clear a progress line). */
export function stderrLogger(level: LogLevel, before: () => void = () => {}): Logger {
  const rank = LOG_LEVELS.indexOf(level)
  const at = (l: LogLevel) => (message: string) => {
    if (LOG_LEVELS.indexOf(l) > rank) return
    before()
    process.stderr.write(`${l === 'info' ? '' : `${l}: `}${printable(message, 'block')}\n`)
  }
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} }
