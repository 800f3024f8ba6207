// What this machine allows, measured in the same run as jobtree's figures:
// the raw costs jobtree cannot avoid paying per job.
import { fork, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Level } from 'level'
import { encodeEvent } from '../src/events/codec.ts'
import type { JobEvent } from '../src/events/catalogue.ts'

const ECHO = fileURLToPath(new URL('./ipcEcho.mjs', import.meta.url))

/** Round trips per second to a warm child process over Node's IPC channel (advanced serialization, as workers use). */
export async function ipcRoundTrips(n: number, inFlight: 'one' | 'all'): Promise<number> {
  const child = fork(ECHO, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  try {
    const message = { type: 'run', job: { jobId: 1, attempt: 1, input: null } }
    await roundTrip(child, message) // warm up
    const t0 = performance.now()
    if (inFlight === 'one') {
      for (let i = 0; i < n; i++) await roundTrip(child, message)
    } else {
      await new Promise<void>((resolve) => {
        let left = n
        const onMessage = () => {
          if (--left === 0) {
            child.off('message', onMessage)
            resolve()
          }
        }
        child.on('message', onMessage)
        for (let i = 0; i < n; i++) child.send(message)
      })
    }
    return n / ((performance.now() - t0) / 1000)
  } finally {
    child.kill()
  }
}

function roundTrip(child: ReturnType<typeof fork>, message: object): Promise<void> {
  return new Promise((resolve) => {
    child.once('message', () => resolve())
    child.send(message)
  })
}

/** A typical event of about 100 bytes. */
function sampleEvent(i: number): JobEvent {
  return {
    type: 'JobFinished',
    v: 1,
    at: 1_700_000_000_000 + i,
    jobId: i,
    attempt: 1,
    value: null,
    stats: { wallMs: 3, cpuMs: 2, maxRss: 99_000_000 },
    successors: { first: i, children: 0, followOns: 0 },
  }
}

/** Events per second appended to LevelDB in synced batches of `batch` events. */
export async function syncedAppends(total: number, batch: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-bench-level-'))
  const db = new Level<string, Uint8Array>(dir, { valueEncoding: 'view' })
  try {
    await db.open()
    const t0 = performance.now()
    for (let i = 0; i < total; i += batch) {
      const ops = []
      for (let j = i; j < Math.min(total, i + batch); j++)
        ops.push({ type: 'put' as const, key: `e${j.toString(16).padStart(16, '0')}`, value: encodeEvent(sampleEvent(j)) })
      await db.batch(ops, { sync: true } as object)
    }
    return total / ((performance.now() - t0) / 1000)
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Seconds to read `total` events back in order (written first, unsynced, in big batches). */
export async function fullScan(total: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-bench-scan-'))
  const db = new Level<string, Uint8Array>(dir, { valueEncoding: 'view' })
  try {
    await db.open()
    for (let i = 0; i < total; i += 10_000) {
      const ops = []
      for (let j = i; j < Math.min(total, i + 10_000); j++)
        ops.push({ type: 'put' as const, key: `e${j.toString(16).padStart(16, '0')}`, value: encodeEvent(sampleEvent(j)) })
      await db.batch(ops)
    }
    const t0 = performance.now()
    const it = db.iterator()
    let n = 0
    for (;;) {
      const entries = await it.nextv(1000)
      if (entries.length === 0) break
      n += entries.length
    }
    await it.close()
    if (n !== total) throw new Error(`scanned ${n} of ${total} events`)
    return (performance.now() - t0) / 1000
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `true` processes per second, spawned `concurrency` at a time. */
export async function spawnTrue(total: number, concurrency: number): Promise<number> {
  const t0 = performance.now()
  let started = 0
  const worker = async () => {
    while (started < total) {
      started += 1
      await new Promise<void>((resolve, reject) => {
        const p = spawn('true', [], { stdio: 'ignore' })
        p.on('error', reject)
        p.on('exit', () => resolve())
      })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return total / ((performance.now() - t0) / 1000)
}
