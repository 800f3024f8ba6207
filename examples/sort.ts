// jobTree's merge sort, as a jobtree workflow on the file store: split a text
// file at line boundaries into ranges of at most `maxBytes`, sort each range
// in a child job that writes it as a file, and merge two sorted files into
// one in follow-ons, back up the tree; the last job exports the result.
//
//   npx jobtree run examples/sort.ts --target sort --store ./run1 \
//     --input '{"file":"big.txt","output":"big.sorted.txt"}'
//
// (`"file": {"$import": "big.txt"}` imports it when the run starts instead.)
// Jobs pass files as ids. A file becomes visible to other jobs only when the
// attempt that wrote it succeeds, and goes once no job can read it, so an
// attempt that fails or runs again leaves nothing behind and needs no care.

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { target, type FileId, type JobContext, type Resolvable, type Target } from 'jobtree'

export interface SortInput {
  /** The file to sort: a path, or the id of a file in the store (an import). */
  file: string
  /** Where the sorted lines go (default: <file>.sorted, for a path). */
  output?: string
  /** The largest range sorted by one job (default 1 MB). */
  maxBytes?: number
  /** For testing failure handling: the chance that a job other than the root throws, after writing its file. */
  failRate?: number
}

interface Range {
  source: FileId
  start: number
  end: number
  maxBytes: number
  failRate: number
}

interface Sorted {
  file: FileId
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

function splitLines(text: string): string[] {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

function isFileId(value: string): boolean {
  return value.startsWith('file:')
}

export const sort = target<SortInput, { output: string; lines: number; file: FileId }>('sort', async (ctx, input) => {
  if (input.output === undefined && isFileId(input.file)) throw new Error('sorting a file of the store needs an output path')
  const output = resolve(input.output ?? `${input.file}.sorted`)
  const source = isFileId(input.file) ? input.file : await ctx.files.write(resolve(input.file))
  const size = statSync(await ctx.files.read(source)).size
  const range: Range = { source, start: 0, end: size, maxBytes: input.maxBytes ?? 1_000_000, failRate: input.failRate ?? 0 }
  const top = ctx.addChild(down, range)
  ctx.addFollowOn(save, { file: top.rv('file'), output })
  ctx.log(`sorting ${input.file} (${size} bytes) in ranges of at most ${range.maxBytes} bytes`)
  return { output, lines: top.rv('lines'), file: top.rv('file') }
})

// Typed by hand: it adds itself as a child, which inference cannot follow.
export const down: Target<Range, Sorted> = target<Range, Sorted>('down', { memory: '256M' }, async (ctx, r): Promise<Resolvable<Sorted>> => {
  const path = await ctx.files.read(r.source)
  const mid = r.end - r.start > r.maxBytes ? midPoint(path, r.start, r.end) : -1
  if (mid === -1) {
    const fd = openSync(path, 'r')
    const buf = Buffer.alloc(r.end - r.start)
    try {
      readSync(fd, buf, 0, buf.length, r.start)
    } finally {
      closeSync(fd)
    }
    const lines = splitLines(buf.toString('utf8')).sort()
    const file = await ctx.files.write(Buffer.from(lines.length ? lines.join('\n') + '\n' : ''), { name: `lines-${r.start}-${r.end}` })
    maybeFail(ctx, r.failRate)
    return { file, lines: lines.length }
  }
  const a = ctx.addChild(down, { ...r, end: mid })
  const b = ctx.addChild(down, { ...r, start: mid })
  const merged = ctx.addFollowOn(up, { a: a.rv('file'), b: b.rv('file'), name: `lines-${r.start}-${r.end}`, failRate: r.failRate })
  return merged.rv()
})

/** Merges two sorted files into one, streaming: neither is held in memory. */
export const up = target<{ a: FileId; b: FileId; name: string; failRate: number }, Sorted>('up', { memory: '256M' }, async (ctx, m) => {
  const ia = createInterface({ input: ctx.files.readStream(m.a), crlfDelay: Infinity })[Symbol.asyncIterator]()
  const ib = createInterface({ input: ctx.files.readStream(m.b), crlfDelay: Infinity })[Symbol.asyncIterator]()
  let lines = 0
  async function* merged(): AsyncGenerator<Uint8Array> {
    let x = await ia.next()
    let y = await ib.next()
    let chunk: string[] = []
    while (!x.done || !y.done) {
      const takeA = y.done || (!x.done && x.value <= y.value)
      chunk.push(takeA ? (x.value as string) : (y.value as string))
      lines += 1
      if (chunk.length === 4096) {
        yield Buffer.from(chunk.join('\n') + '\n')
        chunk = []
      }
      if (takeA) x = await ia.next()
      else y = await ib.next()
    }
    if (chunk.length > 0) yield Buffer.from(chunk.join('\n') + '\n')
  }
  const file = await ctx.files.write(merged(), { name: m.name })
  maybeFail(ctx, m.failRate)
  return { file, lines }
})

/** Copies the sorted file out of the store, to where the user asked. */
export const save = target<{ file: FileId; output: string }, void>('save', { memory: '64M' }, async (ctx, { file, output }) => {
  await ctx.files.export(file, output, { force: true })
})

/** Reads a file's lines (for checking results). */
export function readLines(path: string): string[] {
  return splitLines(readFileSync(path, 'utf8'))
}
