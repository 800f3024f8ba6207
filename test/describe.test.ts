// How jobtree words counts for people: a failed job's attempts (one wording, explained when counts differ), what a restart will run.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { failedAttempts, resumeSummary } from '../src/audit/describe.ts'

test('describe: a job that failed completely is counted by its failed attempts, and all of them when more ran', () => {
  assert.equal(failedAttempts(2, 2), 'after 2 failed attempt(s)')
  assert.equal(
    failedAttempts(2, 3),
    'after 2 failed attempt(s) (3 in all: the others were cut short by a stopping leader, or ran before a restart gave it a fresh budget)',
  )
})

test('describe: a restart names what it will run', () => {
  const counts = { total: 500, succeeded: 164, issued: 0, ready: 237, waiting: 99, failed: 0 }
  assert.equal(resumeSummary(counts), '164 jobs done; 336 to run: 237 ready, 99 waiting for other jobs')
  assert.equal(
    resumeSummary({ ...counts, issued: 3, failed: 1, ready: 0, waiting: 0 }),
    '164 jobs done; 4 to run: 3 cut short by the last leader, to run again, 1 failed, to retry with a fresh budget',
  )
  assert.equal(resumeSummary({ ...counts, ready: 0, waiting: 0 }), '164 jobs done, nothing left to run')
})
