// The folder map of src/ (the README's "Where things are"), as a rule on
// imports: a folder imports only folders below it in LAYERS, and a plugin
// (batch/local, batch/slurm) is loaded only through batch/choose.ts. So a
// change that makes the store ask the leader, or the core import Slurm,
// fails here rather than in review.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

/** Lowest first. `.` is the shared utilities at the top of src/ (index.ts, the package's entry, sits above all). */
const LAYERS = [
  '.',
  'loader',
  'events',
  'decider',
  'store',
  'files',
  'workflow',
  'worker',
  'batch',
  'batch/local',
  'batch/slurm',
  'socket',
  'audit',
  'leader',
  'api',
  'ui',
  'cli',
  'index.ts',
] as const

/** The one file below the plugins that may load them: by name, when a run asks for one. */
const PLUGIN_DOOR = 'batch/choose.ts'
const PLUGINS = new Set(['batch/local', 'batch/slurm'])
/** The web view and report: a plugin the engine never loads; only the CLI's commands reach it. */
const UI = 'ui'

function sources(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replaceAll('\\', '/'))
}

/** The files under src/ that `file` imports, statically or by import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8')
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1] as string)
  return specifiers.map((s) => relative(SRC, normalize(join(SRC, dirname(file), s))).replaceAll('\\', '/'))
}

function folderOf(file: string): (typeof LAYERS)[number] {
  if (file === 'index.ts') return 'index.ts'
  const parts = file.split('/')
  const folder = parts.length === 1 ? '.' : parts[0] === 'batch' && parts.length > 2 ? `batch/${parts[1]}` : (parts[0] as string)
  const known: readonly string[] = LAYERS
  assert.ok(known.includes(folder), `src/${file} is in a folder the map does not name (${folder}): add it to LAYERS and to the README's map`)
  return folder as (typeof LAYERS)[number]
}

const graph = new Map(sources().map((file) => [file, importsOf(file)]))

test('every import names a file that exists (so the map below sees every edge)', () => {
  for (const [file, imports] of graph) for (const target of imports) assert.ok(graph.has(target), `src/${file} imports src/${target}, which is not there`)
})

test('a folder imports only folders below it in the map; plugins only through batch/choose.ts', () => {
  const wrong: string[] = []
  for (const [file, imports] of graph) {
    const from = folderOf(file)
    for (const target of imports) {
      const to = folderOf(target)
      if (to === from) continue
      if (PLUGINS.has(to)) {
        if (file !== PLUGIN_DOOR) wrong.push(`src/${file} imports the plugin src/${target}: load it through ${PLUGIN_DOOR}`)
        continue
      }
      if (to === UI && from !== 'cli') {
        wrong.push(`src/${file} imports the web view's src/${target}: only src/cli/ may`)
        continue
      }
      if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) wrong.push(`src/${file} (${from}) imports src/${target} (${to}), a folder above it`)
    }
  }
  assert.deepEqual(wrong, [])
})

test('no file imports itself through others (not even for types)', () => {
  // Tarjan's strongly connected components; any of more than one file is a cycle.
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (v: string): void => {
    index.set(v, index.size)
    low.set(v, index.get(v) as number)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string | undefined
    do {
      w = stack.pop() as string
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1) cycles.push(component.sort())
  }
  for (const file of graph.keys()) if (!index.has(file)) visit(file)
  assert.deepEqual(cycles, [])
})

test("the README's map names every folder, in the map's order", () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
  const named = [...readme.matchAll(/^\| `src\/([^`]*)` \|/gm)].map((m) => (m[1] === '' ? '.' : (m[1] as string).replace(/\/$/, '')))
  assert.deepEqual(named, [...LAYERS])
})
