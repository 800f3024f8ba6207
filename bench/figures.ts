// `npm run bench:figures [-- --quick] [-- --repeat N]`: the small
// measurements that design choices in src/ rest on, each beside what it is
// compared with, so that a comment can say why and this says how much
// (bench/RESULTS.md, "Figures behind design choices").
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Encoder } from 'cbor-x'
import { stateParts } from '../src/decider/stateCodec.ts'
import { createStore } from '../src/store/store.ts'
import { benchOptions } from './options.ts'
import { fmt, median } from './stats.ts'
import { syntheticRun } from './syntheticRun.ts'

const { quick, repeat } = benchOptions()
const runs = Math.max(repeat, quick ? 3 : 9)
const say = (text: string) => process.stdout.write(`${text}\n`)

function timed(fn: () => void): number {
  const t0 = performance.now()
  fn()
  return performance.now() - t0
}
const medianMs = (fn: () => void) => median(Array.from({ length: runs }, () => timed(fn)))
const node =
  (...args: string[]) =>
  () =>
    execFileSync(process.execPath, args, { stdio: 'ignore' })

say(`figures: node ${process.version}, medians of ${runs}`)

// A worker reads its usage once an attempt; what one read costs.
const calls = 100_000
const usageUs =
  (median(
    Array.from({ length: runs }, () =>
      timed(() => {
        for (let i = 0; i < calls; i++) process.resourceUsage()
      }),
    ),
  ) *
    1000) /
  calls
say(`process.resourceUsage(): ${fmt(usageUs, 1)} µs a call`)

// What a command's module costs to load, beside a bare Node; why the CLI imports each command lazily.
const bare = medianMs(node('-e', ''))
const rxjs = medianMs(node('--input-type=module', '-e', "await import('rxjs')"))
const tsx = medianMs(node('--import', 'tsx', '-e', ''))
say(`node start: ${fmt(bare)} ms; importing rxjs adds ${fmt(rxjs - bare)} ms; starting with tsx adds ${fmt(tsx - bare)} ms`)

// A snapshot as the leader writes it (cbor-x records and packing), beside plain CBOR of the same parts.
const dir = mkdtempSync(join(tmpdir(), 'jobtree-figures-'))
try {
  const store = await createStore(join(dir, 'store'))
  const state = await syntheticRun(store.log, { events: quick ? 50_000 : 300_000, module: '/bench.ts', pending: 3000, batch: 100 })
  await store.log.close()
  const plain = new Encoder({ useRecords: false, mapsAsObjects: true })
  let parts: Uint8Array[] = []
  const encodeMs = medianMs(() => {
    parts = [...stateParts(state)]
  })
  const bytes = parts.reduce((sum, p) => sum + p.length, 0)
  // Each part is decoded by a fresh decoder, as decodeState does.
  const snapshotDecoder = () => new Encoder({ useRecords: true, mapsAsObjects: true, pack: true })
  const decoded = parts.map((p) => snapshotDecoder().decode(p) as unknown)
  const plainParts = decoded.map((value) => new Uint8Array(plain.encode(value)))
  const plainBytes = plainParts.reduce((sum, p) => sum + p.length, 0)
  const decodeMs = medianMs(() => {
    for (const p of parts) snapshotDecoder().decode(p)
  })
  const plainDecodeMs = medianMs(() => {
    for (const p of plainParts) plain.decode(p)
  })
  say(`snapshot of ${fmt(bytes / 1024)} KiB (${parts.length} parts): encoded in ${fmt(encodeMs, 1)} ms, ${fmt((encodeMs * 1e6) / bytes)} ns a byte`)
  say(
    `  plain CBOR of the same: ${fmt(plainBytes / 1024)} KiB (${fmt(plainBytes / bytes, 1)}× the size); decoding ${fmt(decodeMs, 1)} ms against ${fmt(plainDecodeMs, 1)} ms plain (${fmt(plainDecodeMs / decodeMs, 1)}×)`,
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
