// Odd but valid input works: a store path with spaces, quotes and $(...),
// a target name and an input full of shell and terminal metacharacters.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { jobtree, readEvents, repo, scratch } from './helpers/cli.ts'
import type { ValueName } from './fixtures/valueTargets.ts'

test('odd input: metacharacters in the store path, the target name and the input are data, never code', async (t) => {
  const dir = scratch(t)
  const parent = join(dir, `it's a "store" $(touch pwned) \`touch pwned\``)
  mkdirSync(parent)
  const store = join(parent, 'st ore')
  const input = { text: `é ✓ "q" 'q' $(touch pwned) \`touch pwned\` ; rm -rf / \\ \n\t`, n: -0.5, nested: [null, true, { '': 'empty key' }] }
  const name = 'odd name "quoted" $(touch pwned) `x` ; é ✓'
  const r = await jobtree(
    ['run', join(repo, 'test/fixtures/badTargets.ts'), '--target', name, '--store', store, '--input', JSON.stringify(input), '--no-progress'],
    dir,
  )
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), { echoed: input })
  const status = await jobtree(['status', store], dir)
  assert.equal(status.code, 0, status.stderr)
  assert.ok(status.stdout.includes(`--target ${name}`), status.stdout)
  const events = await readEvents(store)
  const created = events.find((e) => e.type === 'JobCreated')
  assert.ok(created?.type === 'JobCreated' && created.spec.work.kind === 'target')
  assert.deepEqual(created.spec.work.kind === 'target' && created.spec.work.input, input)
  for (const where of [dir, parent, store, process.cwd()]) assert.equal(existsSync(join(where, 'pwned')), false, `nothing ran in ${where}`)
})

/** What `jobtree run` prints for each value of test/fixtures/valueTargets.ts (README, "Values as JSON"). */
const PRINTED: Record<ValueName, string> = {
  bigint: '{"$bigint":"1180591620717411303424"}',
  smallBigint: '{"$bigint":"-5"}',
  map: '{"$map":[["a",1],[2,"b"],[{"k":1},[3]]]}',
  set: '{"$set":[1,"a",{"$bigint":"2"}]}',
  date: '{"$date":"2024-05-01T12:00:00.000Z"}',
  invalidDate: '{"$date":"invalid"}',
  bytes: '{"$base64":"AQL/"}',
  float64: '{"$Float64Array":[1.5,{"$number":"NaN"},{"$number":"-Infinity"}]}',
  int16: '{"$Int16Array":[-2,7]}',
  regexp: '{"$regexp":"/a+b/gi"}',
  nested:
    '{"list":[{"$map":[["x",{"$set":[{"$date":"1970-01-01T00:00:00.000Z"}]}]]},{"$bigint":"10"},{"$undefined":true}],' +
    '"$$ref":"data, not a tag","big":{"$BigInt64Array":[{"$bigint":"-1"}]},"inner":{"maybe":{"$undefined":true},"n":{"$number":"NaN"}}}',
  nothing: '',
  null: 'null',
  nan: '{"$number":"NaN"}',
  infinity: '{"$number":"Infinity"}',
  minusInfinity: '{"$number":"-Infinity"}',
  // The log's CBOR encoder writes -0 as the integer 0.
  negativeZero: '0',
}

test('odd values: jobtree run prints what the root returned beyond JSON (BigInt, Map, Set, Date, typed arrays, NaN…) in one JSON form, and exits 0', async (t) => {
  const dir = scratch(t)
  for (const [i, name] of (Object.keys(PRINTED) as ValueName[]).entries()) {
    const target = name === 'nested' ? 'returnsThroughPromise' : 'returns'
    const r = await jobtree([
      'run',
      'test/fixtures/valueTargets.ts',
      '--target',
      target,
      '--input',
      JSON.stringify(name),
      '--store',
      join(dir, `store${i}`),
      '--no-progress',
      '--log-level',
      'warn',
    ])
    assert.equal(r.code, 0, `${name}: ${r.stderr}`)
    assert.equal(r.stderr, '', name)
    assert.equal(r.stdout, PRINTED[name] === '' ? '' : `${PRINTED[name]}\n`, name)
    if (name === 'nested') {
      // The same form in every command that prints values.
      const events = await jobtree(['events', join(dir, `store${i}`), '--type', 'JobFinished', '--job', '1'])
      assert.equal(events.code, 0, events.stderr)
      assert.ok(events.stdout.includes(`"value":${PRINTED.nested}`), events.stdout)
    }
  }
})
