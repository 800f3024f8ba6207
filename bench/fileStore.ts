// The file store against plain `cp` of the same data on the same disk: the
// time to bring files in and read them back. jobtree writes each file
// through a hash into the store, syncs it and renames it into place, then
// reads it back checking its hash; `cp -r` then `sync`, then `cat` of every
// file, does the same moves without either check. Times are taken inside
// the jobs, so a run's start-up is not counted.
import { execFileSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../src/index.ts'
import { copyIn } from './fileWorkflow.ts'
import { median } from './stats.ts'

export interface FileFigures {
  count: number
  bytes: number
  /** Median ms for jobtree's write plus read, and for cp + sync + cat. */
  jobtreeMs: number
  cpMs: number
  writeMs: number
  readMs: number
}

const MODULE = fileURLToPath(new URL('./fileWorkflow.ts', import.meta.url))

export async function fileStoreFigures(count: number, bytes: number, repeat: number): Promise<FileFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-bench-files-'))
  try {
    const source = join(dir, 'source')
    mkdirSync(source)
    const paths: string[] = []
    const chunk = Buffer.alloc(Math.min(bytes, 2 ** 24))
    for (let i = 0; i < count; i++) {
      const path = join(source, `f${i}`)
      writeFileSync(path, '')
      for (let left = bytes; left > 0; left -= chunk.length) writeFileSync(path, randomFillSync(chunk).subarray(0, Math.min(left, chunk.length)), { flag: 'a' })
      paths.push(path)
    }
    execFileSync('sync')
    const cp: number[] = []
    const ours: Array<{ writeMs: number; readMs: number }> = []
    for (let r = 0; r < repeat; r++) {
      const copy = join(dir, `copy-${r}`)
      const started = performance.now()
      execFileSync('cp', ['-r', source, copy])
      execFileSync('sync')
      execFileSync('sh', ['-c', 'cat "$0"/* > /dev/null', copy])
      cp.push(performance.now() - started)
      rmSync(copy, { recursive: true, force: true })
      const store = join(dir, `store-${r}`)
      const figures = (await run(copyIn, { paths }, { store, module: MODULE, logLevel: 'silent' })) as { writeMs: number; readMs: number; bytes: number }
      if (figures.bytes !== count * bytes) throw new Error(`read back ${figures.bytes} bytes, not ${count * bytes}`)
      ours.push(figures)
      rmSync(store, { recursive: true, force: true })
    }
    const writeMs = median(ours.map((o) => o.writeMs))
    const readMs = median(ours.map((o) => o.readMs))
    return { count, bytes, jobtreeMs: median(ours.map((o) => o.writeMs + o.readMs)), cpMs: median(cp), writeMs, readMs }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
