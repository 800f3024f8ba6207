// Stores left half-made or half-gone: a creation killed before its marker
// was in place, and a store whose event log was deleted. Neither may strand
// the user, and no reading command may turn the second into a new run.
import assert from 'node:assert/strict'
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobtree, scratch } from './helpers/cli.ts'

const RUN = ['test/fixtures/apiWorkflow.ts', '--target', 'sumOfSquares', '--input', '3', '--no-progress', '--log-level', 'warn']

test('a creation killed before its marker was in place leaves a store not yet created: run makes it, --restart says so', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t)
  // What a leader SIGKILLed at the marker's rename leaves, early (the temp marker) or late (its log and folders too).
  const done = join(dir, 'done')
  const first = await jobtree(['run', ...RUN, '--store', done])
  assert.equal(first.code, 0, first.stderr)
  const leftovers: Record<string, (store: string) => void> = {
    'only the temp marker': (store) => {
      mkdirSync(store)
      writeFileSync(join(store, 'jobtree.json.tmp'), '{"format":"jobtree-store","version":1}\n')
    },
    'the temp marker, an empty log and folders': (store) => {
      cpSync(done, store, { recursive: true })
      rmSync(join(store, 'jobtree.json'))
      writeFileSync(join(store, 'jobtree.json.tmp'), '{"format":"jobtree-store","version":1}\n')
    },
  }
  for (const [what, leave] of Object.entries(leftovers)) {
    const store = join(dir, what.replace(/\W+/g, '-'))
    leave(store)
    const restart = await jobtree(['run', ...RUN, '--store', store, '--restart'])
    assert.equal(restart.code, 2, what)
    assert.match(
      restart.stderr,
      /^jobtree: error: cannot restart: the store at .* was never created \(its creation was interrupted\): run the same command without --restart\n$/,
      what,
    )
    const run = await jobtree(['run', ...RUN, '--store', store])
    assert.equal(run.code, 0, `${what}: ${run.stderr}`)
    assert.equal(run.stdout.trim(), '14', what)
    assert.ok(!readdirSync(store).includes('jobtree.json.tmp'), what)
  }
})

test('a store whose event log is gone is refused by every command, and nothing makes a new log in it', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t)
  const store = join(dir, 'store')
  const run = await jobtree(['run', ...RUN, '--store', store])
  assert.equal(run.code, 0, run.stderr)
  rmSync(join(store, 'events'), { recursive: true })
  for (const args of [
    ['status', store],
    ['events', store],
    ['replay', store],
    ['stats', store],
    ['kill', store],
    ['run', ...RUN, '--store', store, '--restart'],
  ]) {
    const r = await jobtree(args)
    assert.equal(r.code, 2, `${args[0]}: ${r.stdout}${r.stderr}`)
    assert.match(r.stderr, /^jobtree: error: the event log of store .* is gone \(.*events holds no LevelDB log\): restore the store from a copy\n$/, args[0])
    assert.equal(existsSync(join(store, 'events')), false, `${args[0]} made a new log`)
  }
})
