#!/usr/bin/env node
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { fileURLToPath } from 'node:url'

// Installed, jobtree runs from dist/, which `npm pack` ships and `npm run
// build` makes (`npm ci` runs it in a checkout): `run` from the compiled
// modules, which a workflow's `import … from 'jobtree'` reaches too, with
// tsx and jobtree's loader hooks so that a workflow may be TypeScript or
// JavaScript, ES module or CommonJS, whatever its package's type (and so
// does `debug-job`, which imports the workflow to run one of its jobs); every
// other command reads a store and never imports a workflow, so it starts
// from a bundle of the CLI, skipping the loading of ~100 modules (a third of
// a `status` that should take 0.2 s). In a checkout whose sources are newer
// than the build, every command runs from the sources through tsx instead.

const sources = fileURLToPath(new URL('../src/', import.meta.url))
const dist = new URL('../dist/', import.meta.url)
const command = process.argv[2]

function buildIsCurrent() {
  let built
  try {
    built = statSync(new URL('bundle/main.js', dist)).mtimeMs
  } catch {
    return false
  }
  if (!existsSync(sources)) return true
  for (const entry of readdirSync(sources, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && statSync(join(entry.parentPath, entry.name)).mtimeMs > built) return false
  }
  return true
}

const fromBuild = buildIsCurrent()
if (!fromBuild && !existsSync(sources)) {
  console.error(`jobtree: ${fileURLToPath(dist)} is missing: this copy of jobtree was not built (npm run build)`)
  process.exit(70)
}
const importsWorkflow = command === 'run' || command === 'debug-job'
if (!importsWorkflow && fromBuild) {
  await import(new URL('bundle/main.js', dist).href)
} else {
  // The leader replaces a job's record and trie path with each event, so its
  // garbage is old and V8 lets the heap grow to a few times what is live
  // before collecting it. Collecting once the heap has grown by a quarter
  // keeps a run that queues 100,000 jobs at once at ~800 B a job instead of
  // ~1,800 (bench/RESULTS.md) and costs no throughput measured here; a
  // tenth saved no more, and would collect a large live state too often.
  if (command === 'run') setFlagsFromString('--heap-growing-percent=25')
  if (fromBuild) {
    // jobtree's own modules load natively; tsx and the workflow hooks are
    // installed when the workflow is imported (src/loader/workflowLoader.ts).
    await import(new URL('cli/main.js', dist).href)
  } else {
    await import('tsx')
    await import(new URL('../src/loader/register.ts', import.meta.url).href)
    await import(new URL('../src/cli/main.ts', import.meta.url).href)
  }
}
