import type { Logger } from '../logger.ts'

// A warning for each failed attempt floods the screen when a target fails
// by the hundred (each is retried): a few are shown in each stretch of time,
// the rest counted in one line. Every one stays in the log (JobFailed) and,
// with --log-level debug, on the screen.

export class FailureWarnings {
  private windowStart = Number.NEGATIVE_INFINITY
  private shown = 0
  private hidden = 0

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly perWindow = 5,
    private readonly windowMs = 10_000,
  ) {}

  /** A failed attempt, described in `line`. */
  failed(line: string): void {
    const t = this.now()
    if (t - this.windowStart >= this.windowMs) {
      this.flush()
      this.windowStart = t
      this.shown = 0
    }
    if (this.shown < this.perWindow) {
      this.shown += 1
      this.logger.warn(line)
      return
    }
    this.hidden += 1
    this.logger.debug(line)
  }

  /** Says how many were not shown since the last time (at the end of a stretch, and when the leader stops). */
  flush(): void {
    if (this.hidden === 0) return
    this.logger.warn(
      `${this.hidden} more failed attempt(s) not shown (all are in the log: jobtree events <store> --type JobFailed; or run with --log-level debug)`,
    )
    this.hidden = 0
  }
}
