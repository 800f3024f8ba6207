// `jobtree debug-job`: one job of a finished or failed run, run again in the
// foreground with the input its last attempt got (promises resolved, files
// readable), against the workflow's code as it is now; the store unchanged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { finished, jobtree, logDigest, repo, scratch, startJobtree } from './helpers/cli.ts'

const FIXTURE = 'test/fixtures/debugTargets.ts'

/** Every file of the store but its LevelDB (which opening it may touch): its path, size and time. */
function storeFiles(store: string): string[] {
  return readdirSync(store, { recursive: true, encoding: 'utf8' })
    .filter((p) => !p.startsWith('events'))
    .map((p) => {
      const st = statSync(join(store, p))
      return `${p} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`
    })
    .sort()
}

async function failedRun(dir: string): Promise<{ store: string; out: string }> {
  const store = join(dir, 'store')
  const out = join(dir, 'out')
  mkdirSync(out)
  const run = await jobtree(['run', FIXTURE, '--target', 'count', '--input', JSON.stringify({ text: 'one two three', out }), '--store', store, '--no-progress'])
  assert.equal(run.code, 1, run.stderr)
  return { store, out }
}

test('debug-job runs a failed job again with its recorded input, then the fixed code, and changes nothing in the store', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t)
  const { store, out } = await failedRun(dir)
  const before = { log: await logDigest(store), files: storeFiles(store) }

  // Job 2 is the report: its input is job 1's value (a promise) and job 0's file.
  const again = await jobtree(['debug-job', store, '--job', '2'])
  assert.equal(again.code, 1, again.stderr)
  assert.match(again.stderr, /^debug-job: job 2 \(report\), as attempt 2 got it \(failed in the log\)/m)
  assert.match(again.stderr, /input: \{"file":"file:[^"]+:words\.txt","words":3,/)
  // Its output comes straight to the terminal, and it read the file it was given.
  assert.match(again.stdout + again.stderr, /report: 3 words in 13 characters/)
  assert.match(again.stderr, /threw: Error: cannot report 3 words yet\n\s+at .*debugTargets\.ts/)

  const fixed = await finished(startJobtree(['debug-job', store, '--job', '2'], repo, { DEBUG_FIXED: '1' }))
  assert.equal(fixed.code, 0, fixed.stderr)
  assert.match(fixed.stderr, /message: writing the report/)
  assert.match(fixed.stderr, /would add follow-on 0: words \{"text":"done"\}/)
  assert.match(fixed.stderr, /would write file 0: summary\.txt, 2B/)
  assert.match(fixed.stderr, /export to .*out\/summary\.txt went to .*exports\/0-summary\.txt instead/)
  const value = JSON.parse(fixed.stdout.trim().split('\n').at(-1) ?? '') as { words: number; summary: string }
  assert.equal(value.words, 3)
  assert.match(value.summary, /^file:[^:]+:2-2-0:2:/)

  assert.deepEqual(readdirSync(out), [], 'the export went to the scratch directory')
  assert.deepEqual({ log: await logDigest(store), files: storeFiles(store) }, before, 'the store is as it was')
  const status = await jobtree(['status', store])
  assert.match(status.stdout, /state: +failed: 1 job\(s\) failed completely/)
})

test('debug-job --inspect waits for a debugger, stops before the job, and goes on when told', { timeout: 60_000 }, async (t) => {
  const { store } = await failedRun(scratch(t))
  const job = startJobtree(['debug-job', store, '--job', '1', '--inspect', '127.0.0.1:0'])
  const done = finished(job)
  let stderr = ''
  const url = await new Promise<string>((resolve, reject) => {
    job.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString()
      const m = /waiting for a debugger at ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr)
      if (m !== null) resolve(`127.0.0.1:${m[1]}`)
    })
    job.on('close', () => reject(new Error(`debug-job ended before waiting for a debugger:\n${stderr}`)))
  })
  // Node's own debugger client, as a person would use it: attach, see it stop, continue.
  const client = spawn(process.execPath, ['inspect', url], { stdio: ['pipe', 'pipe', 'pipe'] })
  let seen = ''
  client.stdout.on('data', (c: Buffer) => (seen += c.toString()))
  try {
    for (let i = 0; i < 200 && !/break in .*debugJobCommand/.test(seen); i++) await new Promise((r) => setTimeout(r, 50))
    assert.match(seen, /break in .*debugJobCommand/, 'it stopped right before the job')
    client.stdin.write('cont\n')
    for (let i = 0; i < 200 && !/succeeded/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50))
    client.stdin.write('.exit\n')
    const r = await done
    assert.equal(r.code, 0, stderr)
    assert.match(stderr, /debug-job: job 1 \(words\) succeeded/)
    assert.equal(r.stdout.trim(), '3')
  } finally {
    client.kill('SIGKILL')
    job.kill('SIGKILL')
  }
})

test('debug-job refuses what it cannot run, in one line, the store untouched', { timeout: 60_000 }, async (t) => {
  const dir = scratch(t)
  const { store } = await failedRun(dir)
  const before = await logDigest(store)
  const cases: Array<[string[], RegExp]> = [
    [['debug-job', store, '--job', '9'], /^jobtree: error: no job 9 in .* \(its jobs are 0 to 2\)$/],
    [['debug-job', store], /^jobtree: required option '--job <id>' not specified$/],
    [['debug-job', join(dir, 'nowhere'), '--job', '0'], /^jobtree: error: .*nowhere.*/],
  ]
  for (const [args, message] of cases) {
    const r = await jobtree(args)
    assert.notEqual(r.code, 0, args.join(' '))
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr.trim(), message)
  }
  assert.equal(await logDigest(store), before)
})
