import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { JobEvent } from '../../src/events/catalogue.ts'
import { finished, readEvents, sleep, startJobtree, type CliResult } from './cli.ts'
import { eventually } from './processes.ts'

// A leader frozen (SIGSTOP) past --max-job-duration while its one job
// finishes, for any batch system: test/clock.test.ts (local) and
// test/slurm.test.ts run it.

/** Runs a 1 s job under a 5 s limit, freezing its leader from just after the job starts until 8 s after it ended. */
export async function freezeWhileJobEnds(dir: string, store: string, extra: string[]): Promise<{ result: CliResult; events: JobEvent[] }> {
  const input = JSON.stringify({ ms: 1000, dir })
  const limits = ['--max-job-duration', '5', '--rescue-frequency', '1', '--retry-count', '0']
  const leader = startJobtree(['run', 'test/fixtures/faultTargets.ts', '--target', 'markedNap', '--store', store, '--input', input, ...limits, ...extra])
  const ended = finished(leader)
  await eventually('the job starts', () => existsSync(join(dir, 'running')), 60_000)
  // The leader takes in the word that the job started (it came before the job wrote the file).
  await sleep(300)
  process.kill(leader.pid as number, 'SIGSTOP')
  try {
    await eventually('the job ends', () => existsSync(join(dir, 'done')), 60_000)
    // Frozen well past the limit, with the job's result waiting (in the pipe, or in its file).
    await sleep(8000)
  } finally {
    process.kill(leader.pid as number, 'SIGCONT')
  }
  const result = await ended
  return { result, events: await readEvents(store) }
}
