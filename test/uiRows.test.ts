// The web view sends a page only the rows an event may have changed
// (src/ui/server/rows.ts): checked against every row, after every event of a
// real run with retries, failures, follow-ons and promises, rewound half-way and run again; and a move
// between any two positions, either way, gives the tree at the second.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { jobtree, readEvents, repo, scratch } from './helpers/cli.ts'
import { fanArgs } from './helpers/ui.ts'
import { EventSource } from '../src/audit/eventSource.ts'
import { RunModel } from '../src/ui/server/runModel.ts'
import { allRows } from '../src/ui/server/rows.ts'
import type { Row } from '../src/ui/protocol.ts'
import { storePaths } from '../src/store/store.ts'

test('ui rows: the rows an event touches are every row that changed; moves between positions land on the same tree', async (t) => {
  const dir = scratch(t, 'jobtree-ui-')
  const store = join(dir, 'store')
  const input = { n: 60, groups: 3, ms: 0, failEvery: 7 }
  const run = await jobtree(fanArgs(store, input, ['--retry-count', '2']))
  assert.equal(run.code, 1, run.stderr)
  // And a rewind to half-way, run again: rows sent back and discarded change too.
  const half = Math.floor((await readEvents(store)).length / 2)
  const rewound = await jobtree(['rewind', store, '--to', String(half)])
  assert.equal(rewound.code, 0, rewound.stderr)
  const restart = ['run', join(repo, 'test', 'fixtures', 'uiTargets.ts'), '--store', store, '--restart', '--no-progress', '--log-level', 'warn']
  assert.equal((await jobtree(restart)).code, 1)

  const model = new RunModel(storePaths(store))
  const shown = new Map<number, Row>()
  const source = await EventSource.open(store)
  try {
    for await (const r of source.events()) {
      const touched = new Set<number>()
      model.apply(r, touched)
      const all = allRows(model.state)
      for (const row of all) if (touched.has(row[0])) shown.set(row[0], row)
      assert.deepEqual(
        [...shown.values()].sort((a, b) => a[0] - b[0]),
        all,
        `after event ${r.seq} (${r.event.type})`,
      )
    }
  } finally {
    await source.close()
  }

  const last = model.state.seq
  for (const [from, to] of [
    [0, last],
    [last, 3],
    [17, 120],
    [120, 17],
    [last - 5, last],
  ]) {
    const start = new Map((await model.rows(from, null)).rows.map((row) => [row[0], row]))
    const move = await model.rows(to, from)
    for (const id of move.removed) start.delete(id)
    for (const row of move.rows) start.set(row[0], row)
    const expected = (await model.rows(to, null)).rows
    assert.deepEqual(
      [...start.values()].sort((a, b) => a[0] - b[0]),
      expected,
      `from ${from} to ${to}`,
    )
    assert.equal(move.seq, to)
  }
})
