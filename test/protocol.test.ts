import { test } from 'node:test'
import assert from 'node:assert/strict'
import { queueMessage, queuedRuns, type RunMessage } from '../src/worker/protocol.ts'
import { targetSpec } from './helpers/events.ts'

const run = (jobId: number, more: Partial<RunMessage['job']> = {}, maxLogBytes = 1024): RunMessage => ({
  type: 'run',
  job: {
    jobId,
    attempt: 1,
    spec: targetSpec('leaf'),
    module: '/w.ts',
    logFile: `/s/logs/${jobId}.log`,
    globalDir: '/s/global',
    filesDir: '/s/files',
    runId: 'r1',
    ...more,
  },
  maxLogBytes,
})

test('protocol: a queue message holds what its runs share once, and gives each run back whole', () => {
  const runs = [run(1, { chain: { first: 100, left: 64 } }), run(2), run(3, { module: '/other.ts', runId: 'r2' }, 2048)]
  const message = queueMessage(runs)
  assert.deepEqual(message.shared, { module: '/w.ts', globalDir: '/s/global', filesDir: '/s/files', runId: 'r1', maxLogBytes: 1024 })
  // Only a field that differs from the first run's travels with a run.
  assert.deepEqual(
    message.runs.map((r) => Object.keys(r).sort()),
    [
      ['attempt', 'chain', 'jobId', 'logFile', 'spec'],
      ['attempt', 'jobId', 'logFile', 'spec'],
      ['attempt', 'jobId', 'logFile', 'maxLogBytes', 'module', 'runId', 'spec'],
    ],
  )
  assert.deepEqual(queuedRuns(message), runs)
})
