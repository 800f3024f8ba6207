// `jobtree replay --step` in a real pseudo-terminal (util-linux `script`),
// driven by keys as a person would press them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { recordedRun } from './helpers/audit.ts'
import { bin, readEvents, scratch } from './helpers/cli.ts'
import { Terminal } from './helpers/terminal.ts'
import { createdJobs } from '../src/events/jobsOf.ts'

test('replay --step: next, previous, jump, first, last and quit, in a terminal', { timeout: 120_000 }, async (t) => {
  const dir = scratch(t)
  const terminals: Terminal[] = []
  const open = (command: string) => {
    const term = new Terminal(command)
    terminals.push(term)
    return term
  }
  try {
    await recordedRun(dir, 'tree', 2)
    const store = join(dir, 'store')
    const events = await readEvents(store)
    const n = events.length
    const term = open(`stty cols 200 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} replay ${JSON.stringify(store)} --step`)
    const at = (seq: number) => new RegExp(`event ${seq} of ${n} `)
    let screen = await term.press('', at(1))
    assert.match(screen, /WorkflowStarted: run .* started: target tree/)
    assert.match(screen, /\[n\]ext/)
    screen = await term.press('n', at(2))
    assert.match(screen, /JobCreated: job 0 \(tree\) created as the root/)
    await term.press('n', at(3))
    screen = await term.press('p', at(2))
    assert.match(screen, /^> +2 +JobCreated /m)
    screen = await term.press('G', at(n))
    assert.match(screen, /WorkflowFinished: the run finished successfully/)
    assert.match(screen, new RegExp(`jobs: ${events.flatMap((e) => [...createdJobs(e)]).length} created`))
    await term.press('j', /jump to event: $/m)
    screen = await term.press('12\r', at(12))
    assert.match(screen, new RegExp(`^> +12 +${events[11].type} `, 'm'))
    // Stepping back across many events replays from a checkpoint.
    screen = await term.press('\x1b[D', at(11))
    assert.match(screen, new RegExp(`^> +11 +${events[10].type} `, 'm'))
    await term.press('g', at(1))
    term.press('q', /$^/).catch(() => undefined)
    assert.equal(await term.exit(), 0)

    // --to starts the walk there.
    const from7 = open(`stty cols 200 rows 40; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} replay ${JSON.stringify(store)} --step --to 7`)
    await from7.press('', at(7))
    await from7.press('n', at(8))
    from7.press('q', /$^/).catch(() => undefined)
    assert.equal(await from7.exit(), 0)
  } finally {
    for (const term of terminals) term.close()
  }
})
