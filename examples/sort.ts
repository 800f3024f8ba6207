// jobTree's merge sort, as a jobtree workflow: split a text file at line
// boundaries into ranges of at most `maxBytes`, sort each range in a child
// job, and merge sorted halves in follow-ons, back up the tree.
//
//   npx jobtree run examples/sort.ts --target sort --store ./run1 \
//     --input '{"file":"big.txt","output":"big.sorted.txt"}'
//
// Every job writes its output by write-then-rename and never deletes its
// inputs, so an attempt that runs again (after a crash or a retry) simply
// writes the same file again.

import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  readSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { once } from 'node:events'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { target, type JobContext } from 'jobtree'

export interface SortInput {
  file: string
  /** Where the sorted lines go (default: <file>.sorted). */
  output?: string
  /** The largest range sorted by one job (default 1 MB). */
  maxBytes?: number
  /** For testing failure handling: the chance that a job other than the root throws. */
  failRate?: number
}

interface Range {
  file: string
  start: number
  end: number
  maxBytes: number
  output: string
  scratch: string
  failRate: number
}

interface Counted {
  lines: number
}

function maybeFail(ctx: JobContext, failRate: number): void {
  if (failRate > 0 && Math.random() < failRate) throw new Error(`injected failure in job ${ctx.jobId} attempt ${ctx.attempt}`)
}

/** The first line boundary at or after the middle of [start, end), or -1. */
function midPoint(file: string, start: number, end: number): number {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(64 * 1024)
    for (let pos = Math.floor((start + end) / 2); pos < end - 1; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos)
      if (n <= 0) break
      const nl = buf.subarray(0, n).indexOf(10)
      if (nl !== -1) return pos + nl + 1 < end ? pos + nl + 1 : -1
      pos += n
    }
    return -1
  } finally {
    closeSync(fd)
  }
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, path)
}

function splitLines(text: string): string[] {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

export const sort = target<SortInput, { output: string; lines: Counted['lines'] }>('sort', (ctx, input) => {
  const file = resolve(input.file)
  const output = resolve(input.output ?? `${file}.sorted`)
  const scratch = join(ctx.globalDir, `sort-${ctx.jobId}`)
  mkdirSync(scratch, { recursive: true })
  const range: Range = { file, start: 0, end: statSync(file).size, maxBytes: input.maxBytes ?? 1_000_000, output, scratch, failRate: input.failRate ?? 0 }
  const top = ctx.addChild(down, range)
  ctx.addFollowOn(cleanup, { scratch })
  ctx.log(`sorting ${file} (${range.end} bytes) in ranges of at most ${range.maxBytes} bytes`)
  return { output, lines: top.rv('lines') }
})

export const down = target<Range, Counted>('down', { memory: '256M' }, (ctx, r) => {
  maybeFail(ctx, r.failRate)
  const mid = r.end - r.start > r.maxBytes ? midPoint(r.file, r.start, r.end) : -1
  if (mid === -1) {
    const fd = openSync(r.file, 'r')
    const buf = Buffer.alloc(r.end - r.start)
    try {
      readSync(fd, buf, 0, buf.length, r.start)
    } finally {
      closeSync(fd)
    }
    const lines = splitLines(buf.toString('utf8')).sort()
    writeAtomically(r.output, lines.length ? lines.join('\n') + '\n' : '')
    return { lines: lines.length }
  }
  const a = join(r.scratch, `${ctx.jobId}-a`)
  const b = join(r.scratch, `${ctx.jobId}-b`)
  ctx.addChild(down, { ...r, end: mid, output: a })
  ctx.addChild(down, { ...r, start: mid, output: b })
  const merged = ctx.addFollowOn(up, { a, b, output: r.output, failRate: r.failRate })
  return { lines: merged.rv('lines') }
})

export const up = target<{ a: string; b: string; output: string; failRate: number }, Counted>('up', { memory: '256M' }, async (ctx, m) => {
  maybeFail(ctx, m.failRate)
  const tmp = `${m.output}.${process.pid}.tmp`
  const out = createWriteStream(tmp)
  const ia = createInterface({ input: createReadStream(m.a), crlfDelay: Infinity })[Symbol.asyncIterator]()
  const ib = createInterface({ input: createReadStream(m.b), crlfDelay: Infinity })[Symbol.asyncIterator]()
  let x = await ia.next()
  let y = await ib.next()
  let lines = 0
  while (!x.done || !y.done) {
    const takeA = y.done || (!x.done && x.value <= y.value)
    const line = takeA ? (x.value as string) : (y.value as string)
    if (!out.write(line + '\n')) await once(out, 'drain')
    lines += 1
    if (takeA) x = await ia.next()
    else y = await ib.next()
  }
  out.end()
  await once(out, 'close')
  renameSync(tmp, m.output)
  return { lines }
})

/** Removes the intermediate files once the whole tree has finished. */
export const cleanup = target<{ scratch: string }, void>('cleanup', { memory: '64M' }, (_ctx, { scratch }) => {
  rmSync(scratch, { recursive: true, force: true })
})

/** Reads a file's lines (for checking results). */
export function readLines(path: string): string[] {
  return splitLines(readFileSync(path, 'utf8'))
}
