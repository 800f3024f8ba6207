// jobtree as users get it: packed, installed from the tarball into a new,
// empty project (`npm init -y`: a CommonJS package), in the layouts
// package managers make (npm's hoisted and nested trees, pnpm's symlinks
// into node_modules/.pnpm), then used from TypeScript, from JavaScript as
// an ES module and as CommonJS, and from a plain Node program without tsx.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { repo, scratch } from './helpers/cli.ts'

const exec = promisify(execFile)
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version

const WORKFLOW_TS = `import { target, type JobContext } from 'jobtree'

export const square = target<number, number>('square', (_ctx, n) => n * n)
export const sum = target<number[], number>('sum', (_ctx, xs) => xs.reduce((a, b) => a + b, 0))
export const main = target<number, number>('main', { cores: 1, memory: '256M' }, (ctx: JobContext, n) => {
  const squares = Array.from({ length: n }, (_, i) => ctx.addChild(square, i).rv())
  return ctx.addFollowOn(sum, squares).rv()
})
`
const WORKFLOW_MJS = `import { target } from 'jobtree'

export const double = target('double', (_ctx, n) => 2 * n)
export const main = target('main', (ctx, n) => ctx.addFollowOn(double, n + 1).rv())
`
const WORKFLOW_CJS = `const { target } = require('jobtree')

const shout = target('shout', (_ctx, s) => s.toUpperCase() + '!')
exports.main = target('main', (ctx, s) => ctx.addChild(shout, s).rv())
`
const PROGRAM = `import { run } from 'jobtree'
import { main } from './flow.mjs'

console.log(JSON.stringify(await run(main, 20, { logLevel: 'silent' })))
`
// What a user writes for a Node project in TypeScript; the package's own
// declarations are checked too (no skipLibCheck).
const TSCONFIG = {
  compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: ['node'] },
  include: ['*.ts'],
}

async function sh(cwd: string, file: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(file, args, { cwd, maxBuffer: 64 * 2 ** 20, env: { ...process.env, NO_COLOR: '1' } })
    return stdout
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`)
  }
}

/** A new project as `npm init -y` makes it, holding the three workflows and the program. */
async function project(dir: string): Promise<string> {
  mkdirSync(dir)
  await sh(dir, 'npm', ['init', '-y'])
  // npm 11 writes "type": "commonjs"; older ones write no type, which means the same.
  assert.notEqual((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }).type, 'module')
  writeFileSync(join(dir, 'flow.ts'), WORKFLOW_TS)
  writeFileSync(join(dir, 'flow.mjs'), WORKFLOW_MJS)
  writeFileSync(join(dir, 'flowcjs.js'), WORKFLOW_CJS)
  writeFileSync(join(dir, 'program.mjs'), PROGRAM)
  return dir
}

/** Runs a workflow with the project's `jobtree` and returns the root's value as printed. */
async function runFlow(dir: string, module: string, input: string, store: string, cli = join(dir, 'node_modules', '.bin', 'jobtree')): Promise<string> {
  const out = await sh(dir, cli, ['run', module, '--target', 'main', '--input', input, '--store', store, '--no-progress', '--log-level', 'warn'])
  return out.trim().split('\n').at(-1) ?? ''
}

async function usesEveryKindOfModule(dir: string): Promise<void> {
  assert.equal(await runFlow(dir, 'flow.ts', '10', 'run-ts'), '285')
  assert.equal(await runFlow(dir, 'flow.mjs', '4', 'run-mjs'), '10')
  assert.equal(await runFlow(dir, 'flowcjs.js', '"abc"', 'run-cjs'), '"ABC!"')
  // No tsx here, and no jobtree command: a program of the user's.
  assert.equal((await sh(dir, process.execPath, ['program.mjs'])).trim(), '42')
  assert.equal((await sh(dir, join(dir, 'node_modules', '.bin', 'jobtree'), ['--version'])).trim(), version)
}

/** `jobtree ui` from the installed package (no esbuild there): its page, with the token, and 403 without. */
async function servesTheWebView(dir: string, store: string): Promise<void> {
  const ui = spawn(join(dir, 'node_modules', '.bin', 'jobtree'), ['ui', store], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      let err = ''
      ui.stdout.on('data', (c: Buffer) => {
        out += c.toString()
        if (out.includes('\n')) resolve(out.split('\n')[0])
      })
      ui.stderr.on('data', (c: Buffer) => (err += c.toString()))
      ui.on('close', () => reject(new Error(`jobtree ui ended: ${err}`)))
    })
    const page = await fetch(url)
    assert.equal(page.status, 200)
    const script = /src="([^"]+)"/.exec(await page.text())?.[1]
    assert.ok(script !== undefined, 'the page names its script')
    const js = await fetch(new URL(script, url))
    assert.equal(js.status, 200)
    assert.ok((await js.text()).length > 1000, 'the bundled page script is served')
    assert.equal((await fetch(new URL('/', url))).status, 403, 'refused without the token')
    assert.equal((await fetch(new URL('/api/rows', url))).status, 403)
  } finally {
    ui.kill('SIGTERM')
  }
}

test('the package: packed, installed into empty projects (npm hoisted and nested, pnpm), used from TypeScript, JavaScript and a plain program', {
  timeout: 600_000,
}, async (t) => {
  const dir = scratch(t, 'jobtree-package-')

  const packed = JSON.parse(await sh(repo, 'npm', ['pack', '--json', '--pack-destination', dir])) as Array<{ filename: string; files: Array<{ path: string }> }>
  const paths = packed[0].files.map((f) => f.path)
  const stray = paths.filter((p) => !/^(dist|bin)\//.test(p) && !['README.md', 'LICENSE', 'package.json'].includes(p))
  assert.deepEqual(stray, [], 'the package holds only dist/, bin/, README, LICENSE and package.json')
  assert.deepEqual(
    paths.filter((p) => /\.ts$/.test(p) && !p.endsWith('.d.ts')),
    [],
    'no TypeScript sources',
  )
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/batch/slurm/onNode.sh', 'dist/ui/page.js', 'bin/jobtree.js', 'LICENSE'])
    assert.ok(paths.includes(file), `${file} is packed`)
  const tarball = join(dir, packed[0].filename)

  await t.test('npm, hoisted: TypeScript type-checks against the shipped declarations; every kind of module runs', async () => {
    const npm = await project(join(dir, 'npm'))
    await sh(npm, 'npm', ['install', '--no-audit', '--no-fund', tarball, 'typescript@5.9', '@types/node@20'])
    writeFileSync(join(npm, 'tsconfig.json'), JSON.stringify(TSCONFIG))
    await sh(npm, join(npm, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.'])
    // A type error in the workflow is caught against the declarations, so they are really read.
    writeFileSync(join(npm, 'wrong.ts'), `import { target } from 'jobtree'\nexport const t = target<number, string>('t', (_ctx, n) => n)\n`)
    await assert.rejects(sh(npm, join(npm, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.']), /wrong\.ts.*TS2322/s)
    await usesEveryKindOfModule(npm)
    // debug-job imports the workflow as run does: its targets are found in the installed package's registry.
    assert.equal((await sh(npm, join(npm, 'node_modules', '.bin', 'jobtree'), ['debug-job', 'run-ts', '--job', '3'])).trim(), '4')
    // npx, as the README says.
    assert.equal(
      (await sh(npm, 'npx', ['--no-install', 'jobtree', 'run', 'flow.ts', '--target', 'main', '--input', '3', '--store', 'run-npx', '--no-progress']))
        .trim()
        .split('\n')
        .at(-1),
      '5',
    )
    await servesTheWebView(npm, join(npm, 'run-npx'))
  })

  await t.test('npm, nested (--install-strategy=nested): every kind of module runs', async () => {
    const nested = await project(join(dir, 'nested'))
    await sh(nested, 'npm', ['install', '--no-audit', '--no-fund', '--install-strategy=nested', tarball])
    await usesEveryKindOfModule(nested)
  })

  await t.test('pnpm (symlinks into node_modules/.pnpm): every kind of module runs, also when started by another copy of jobtree', async () => {
    const pnpm = await project(join(dir, 'pnpm'))
    await sh(pnpm, 'npx', ['--yes', 'pnpm@9', 'add', tarball])
    await usesEveryKindOfModule(pnpm)
    // The workflow imports this project's jobtree, the engine is the npm project's: their targets still meet.
    assert.equal(await runFlow(pnpm, 'flow.ts', '3', 'run-other', join(dir, 'npm', 'node_modules', '.bin', 'jobtree')), '5')
  })
})
