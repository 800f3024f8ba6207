// `jobtree run`'s progress as a person sees it: in a real pseudo-terminal,
// one block redrawn in place with the leader's messages above it; piped, plain
// lines; and `status` telling running jobs from jobs queued for resources.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { bin, finished, jobtree, scratch, startJobtree } from './helpers/cli.ts'
import { screenLines, Terminal } from './helpers/terminal.ts'

const FIXTURE = 'test/fixtures/progressBlockTargets.ts'
const shell = (args: string[]) => [process.execPath, bin, ...args].map((w) => JSON.stringify(w)).join(' ')

test('on a terminal: one block redrawn in place, a line a target, messages above it, a summary below', { timeout: 120_000 }, async (t) => {
  const store = join(scratch(t), 'store')
  const args = ['run', FIXTURE, '--target', 'pipeline', '--input', '{"samples":6}', '--store', store, '--retry-count', '2', '--max-cores', '2']
  const term = new Terminal(`stty cols 100 rows 40; ${shell(args)}`)
  try {
    assert.equal(await term.exit(), 0, term.output)
  } finally {
    term.close()
  }
  const raw = term.output
  // Redrawn in place: the cursor goes back up over the block and erases it, many times.
  const redraws = raw.match(/\x1b\[\d+A\x1b\[J/g)?.length ?? 0
  assert.ok(redraws >= 3, `the block was redrawn ${redraws} time(s):\n${raw}`)
  // While it ran, some target's line counted attempts running (2 cores: at most 2).
  const plain = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
  assert.match(plain, /^\s+align\s+\d+\/6 done\s+[12] running/m)
  assert.match(plain, /\d+ running, \d+ queued/)
  assert.match(plain, /jobs\/s/)

  const screen = screenLines(raw).filter((l) => l !== '')
  const bars = screen.filter((l) => /jobs done \(/.test(l))
  assert.equal(bars.length, 1, `one block is left on the screen:\n${screen.join('\n')}`)
  const bar = screen.indexOf(bars[0])
  // The failed attempt's warning was printed above the block, not through it.
  const warning = screen.findIndex((l) => /^warn: job \d+ \(flakyIndex\) attempt 1 failed: threw: index not ready/.test(l))
  assert.ok(warning !== -1 && warning < bar, screen.join('\n'))
  assert.match(bars[0], /14\/14 jobs done \(100%\)/)
  assert.match(screen[bar + 1], /^14 done, 0 issued, 0 ready, 0 waiting, 0 failed; attempts: 1 failed, 1 retried$/)
  const targets = screen.slice(bar + 2, bar + 6).map((l) => l.trim().split(/\s{2,}/))
  assert.deepEqual(targets, [
    ['pipeline', '1/1 done', '0 running'],
    ['align', '6/6 done', '0 running'],
    ['flakyIndex', '1/1 done', '0 running', '1 failed attempt(s)'],
    ['callVariants', '6/6 done', '0 running'],
  ])
  assert.match(screen[bar + 6], /^workflow finished in [\d.]+ m?s: 14 jobs succeeded; attempts: 1 failed, 1 retried; CPU .+ \(store .+\)$/)
  assert.equal(screen.length, bar + 7, screen.join('\n'))
})

test('not on a terminal: plain lines, no escape sequences, running apart from queued', { timeout: 60_000 }, async (t) => {
  const store = join(scratch(t), 'store')
  const r = await jobtree(['run', FIXTURE, '--target', 'pipeline', '--input', '{"samples":3}', '--store', store, '--retry-count', '2', '--max-cores', '1'])
  assert.equal(r.code, 0, r.stderr)
  assert.doesNotMatch(r.stderr, /[\x1b\r]/)
  const lines = r.stderr.trim().split('\n')
  assert.match(lines[0], /^jobs: 0 done, [01] running, [01] queued, 0 ready, 0 waiting, 0 failed$/)
  assert.match(lines.at(-2) ?? '', /^jobs: 8 done, 0 issued, 0 ready, 0 waiting, 0 failed; attempts: 1 failed, 1 retried$/)
  assert.match(lines.at(-1) ?? '', /^workflow finished in .+: 8 jobs succeeded; attempts: 1 failed, 1 retried; CPU /)
})

test('status of a running leader tells running jobs from those queued for resources', { timeout: 60_000 }, async (t) => {
  const store = join(scratch(t), 'store')
  // One core for six one-core jobs: one runs, the others wait their turn.
  const child = startJobtree(['run', FIXTURE, '--target', 'pipeline', '--input', '{"samples":6}', '--store', store, '--max-cores', '1', '--no-progress'])
  const done = finished(child)
  try {
    let seen = ''
    for (let i = 0; i < 200 && !/1 running, [1-9]\d* issued and queued for resources/.test(seen); i++) {
      await sleep(100)
      const s = await jobtree(['status', store])
      if (s.code === 0) seen = s.stdout
    }
    assert.match(seen, /jobs: +\d+ created: \d+ succeeded, 1 running, [1-9]\d* issued and queued for resources/)
    const json = JSON.parse((await jobtree(['status', store, '--json'])).stdout) as { running: number | null; live: boolean }
    assert.equal(typeof json.running, 'number')
  } finally {
    child.kill('SIGTERM')
    await done
  }
  const after = await jobtree(['status', store])
  assert.match(after.stdout, /issued by a leader that is gone \(to run again on a restart\)|0 issued/)
})
