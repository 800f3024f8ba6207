// The leader's warnings for failed attempts: a few in each stretch of time, the rest counted in one line, none lost at debug level.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FailureWarnings } from '../src/leader/failureWarnings.ts'
import type { Logger } from '../src/logger.ts'

test('failure warnings: five a stretch of ten seconds are shown, the rest counted when the stretch ends and at the end', () => {
  const warned: string[] = []
  const debugged: string[] = []
  const logger: Logger = { error() {}, info() {}, warn: (m) => warned.push(m), debug: (m) => debugged.push(m) }
  let now = 0
  const w = new FailureWarnings(logger, () => now)
  for (let i = 0; i < 8; i++) w.failed(`attempt ${i}`)
  assert.deepEqual(warned, ['attempt 0', 'attempt 1', 'attempt 2', 'attempt 3', 'attempt 4'])
  assert.deepEqual(debugged, ['attempt 5', 'attempt 6', 'attempt 7'])
  now = 10_000
  w.failed('attempt 8')
  assert.match(warned[5], /^3 more failed attempt\(s\) not shown \(all are in the log: jobtree events <store> --type JobFailed/)
  assert.equal(warned[6], 'attempt 8')
  for (let i = 9; i < 15; i++) w.failed(`attempt ${i}`)
  w.flush()
  assert.match(warned.at(-1) ?? '', /^2 more failed attempt\(s\) not shown/)
  w.flush()
  assert.equal(warned.filter((m) => m.includes('not shown')).length, 2, 'nothing to say twice')
})
