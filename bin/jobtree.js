#!/usr/bin/env node
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { fileURLToPath } from 'node:url'

// `jobtree run` imports a workflow module, TypeScript or JavaScript, ES
// module or CommonJS, which imports jobtree itself: it runs on tsx (loaded
// here as `node --import tsx` would load it, and by workers through their
// --import), from the sources, so that the workflow and the engine share one
// copy of jobtree. Every other command reads a store and never imports a
// workflow: it starts from the bundle `npm ci` builds (`npm run build`,
// into dist/), skipping tsx and the compiling of the sources (~0.35 s of a
// `status` that should take 0.2), unless a source is newer than the bundle.

const src = fileURLToPath(new URL('../src/', import.meta.url))
const bundle = new URL('../dist/cli/main.js', import.meta.url)

function bundleIsCurrent() {
  let built
  try {
    built = statSync(bundle).mtimeMs
  } catch {
    return false
  }
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && statSync(join(entry.parentPath, entry.name)).mtimeMs > built) return false
  }
  return true
}

if (process.argv[2] !== 'run' && bundleIsCurrent()) {
  await import(bundle.href)
} else {
  // The leader replaces a job's record and trie path with each event, so its
  // garbage is old and V8 lets the heap grow to a few times what is live
  // before collecting it. Collecting once the heap has grown by a quarter
  // keeps a run that queues 100,000 jobs at once at ~800 B a job instead of
  // ~1,800 (bench/RESULTS.md) and costs no throughput measured here; a
  // tenth saved no more, and would collect a large live state too often.
  setFlagsFromString('--heap-growing-percent=25')
  await import('tsx')
  await import('../src/cli/main.ts')
}
