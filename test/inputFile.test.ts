// --input-file: a root input too large for a command line (15 MiB), from a
// file or from standard input; and what a bad one gets.
import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawn } from 'node:child_process'
import { bin, finished, jobtree, repo, scratch } from './helpers/cli.ts'

const WORKFLOW = 'test/fixtures/inputTargets.ts'
const BIG = { text: 'x'.repeat(15 * 2 ** 20 - 5) + 'tail!' }
const EXPECTED = JSON.stringify({ length: 15 * 2 ** 20, end: 'tail!' })

function args(store: string, ...more: string[]): string[] {
  return ['run', WORKFLOW, '--target', 'measure', '--store', store, '--no-progress', '--log-level', 'warn', ...more]
}

test('a 15 MiB input from --input-file, and from standard input with -', { timeout: 120_000 }, async (t) => {
  const dir = scratch(t)
  const file = join(dir, 'input.json')
  writeFileSync(file, JSON.stringify(BIG))
  const fromFile = await jobtree(args(join(dir, 's1'), '--input-file', file))
  assert.equal(fromFile.code, 0, fromFile.stderr)
  assert.equal(fromFile.stdout.trim(), EXPECTED)

  const child = spawn(process.execPath, [bin, ...args(join(dir, 's2'), '--input-file', '-')], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] })
  const piped = finished(child)
  child.stdin?.end(JSON.stringify(BIG))
  const fromStdin = await piped
  assert.equal(fromStdin.code, 0, fromStdin.stderr)
  assert.equal(fromStdin.stdout.trim(), EXPECTED)
})

test('a missing or unreadable input file, JSON that is not, or both --input and --input-file: one line, exit 2, no store', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t)
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, '{"text": ')
  const cases: Array<[string[], RegExp]> = [
    [['--input-file', join(dir, 'missing.json')], /^jobtree: error: cannot read --input-file .*missing\.json: ENOENT/],
    [['--input-file', bad], /^jobtree: error: --input-file .*bad\.json is not valid JSON/],
    [['--input-file', bad, '--input', '{}'], /^jobtree: error: give the root's input with --input or with --input-file, not both/],
  ]
  for (const [more, message] of cases) {
    const store = join(dir, 'store')
    const r = await jobtree(args(store, ...more))
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, message)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.equal(existsSync(store), false)
  }
})
