// Odd but valid input works: a store path with spaces, quotes and $(...),
// a target name and an input full of shell and terminal metacharacters.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { jobtree, readEvents, repo, scratch } from './helpers/cli.ts'

test('odd input: metacharacters in the store path, the target name and the input are data, never code', async () => {
  const s = scratch()
  try {
    const parent = join(s.dir, `it's a "store" $(touch pwned) \`touch pwned\``)
    mkdirSync(parent)
    const store = join(parent, 'st ore')
    const input = { text: `é ✓ "q" 'q' $(touch pwned) \`touch pwned\` ; rm -rf / \\ \n\t`, n: -0.5, nested: [null, true, { '': 'empty key' }] }
    const name = 'odd name "quoted" $(touch pwned) `x` ; é ✓'
    const r = await jobtree(['run', join(repo, 'test/fixtures/badTargets.ts'), '--target', name, '--store', store, '--input', JSON.stringify(input), '--no-progress'], s.dir)
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), { echoed: input })
    const status = await jobtree(['status', store], s.dir)
    assert.equal(status.code, 0, status.stderr)
    assert.ok(status.stdout.includes(`--target ${name}`), status.stdout)
    const events = await readEvents(store)
    const created = events.find((e) => e.type === 'JobCreated')
    assert.ok(created?.type === 'JobCreated' && created.spec.work.kind === 'target')
    assert.deepEqual(created.spec.work.kind === 'target' && created.spec.work.input, input)
    for (const dir of [s.dir, parent, store, process.cwd()]) assert.equal(existsSync(join(dir, 'pwned')), false, `nothing ran in ${dir}`)
  } finally {
    s.cleanup()
  }
})
