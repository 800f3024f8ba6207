import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import type { JobEvent } from '../src/events/catalogue.ts'
import { encodeEvent } from '../src/events/codec.ts'
import { EventLog } from '../src/store/log.ts'
import { SEGMENT_EVENTS } from '../src/store/segment.ts'
import { JobtreeError } from '../src/errors.ts'

const ev = (jobId: number): JobEvent => ({ type: 'JobRetried', v: 1, at: jobId, jobId })
const evs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ev(from + i))
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
const keyOf = (prefix: string, seq: number) => prefix + seq.toString(16).padStart(16, '0')

/** Runs `body` in a fresh directory, removed after. */
async function inDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-log-'))
  try {
    await body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `body` on the log at `path`, closed after. */
async function withLog<T>(path: string, body: (log: EventLog) => Promise<T>): Promise<T> {
  const log = await EventLog.open(path, true)
  try {
    return await body(log)
  } finally {
    await log.close()
  }
}

/** The log's LevelDB opened directly, to see or change its entries behind the log's back. */
async function underneath<T>(path: string, body: (db: Level<string, Uint8Array>) => Promise<T>): Promise<T> {
  const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  try {
    return await body(db)
  } finally {
    await db.close()
  }
}

/** Writes events `from` .. `to` one entry an event, as the log did before segments. */
function writeOldLayout(path: string, from: number, to: number): Promise<void> {
  return underneath(path, (db) => db.batch(evs(from, to).map((e, i) => ({ type: 'put' as const, key: keyOf('e', from + i), value: encodeEvent(e) }))))
}

/** The sequence numbers read from `from` to `to`, checking that each event is the one appended there. */
async function seqsRead(log: EventLog, from?: number, to?: number): Promise<number[]> {
  const seqs: number[] = []
  for await (const r of log.read(from, to)) {
    assert.equal(r.seq, (r.event as { jobId: number }).jobId, 'each event is read at its own sequence number')
    seqs.push(r.seq)
  }
  return seqs
}

function isCorrupt(message: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof JobtreeError && err.code === 'LOG_CORRUPT' && message.test(err.message) && !err.message.includes('\n')
}

test('log: appends in order, reads from any position, survives reopening', () =>
  inDir(async (dir) => {
    const log = await EventLog.open(join(dir, 'db'), true)
    assert.equal(log.lastSeq, 0)
    const appends = [log.append([ev(1), ev(2)]), log.append([ev(3)]), log.append([]), log.append([ev(4), ev(5), ev(6)])]
    assert.deepEqual(await Promise.all(appends), [2, 3, 3, 6])
    const all = []
    for await (const r of log.read()) all.push(r)
    assert.deepEqual(
      all.map((r) => r.seq),
      [1, 2, 3, 4, 5, 6],
    )
    assert.deepEqual(
      all.map((r) => (r.event as { jobId: number }).jobId),
      [1, 2, 3, 4, 5, 6],
    )
    const part = []
    for await (const r of log.read(3, 5)) part.push(r.seq)
    assert.deepEqual(part, [3, 4, 5])
    await log.close()
    const again = await EventLog.open(join(dir, 'db'), false)
    assert.equal(again.lastSeq, 6)
    assert.equal(await again.append([ev(7)]), 7)
    await again.close()
  }))

test('log: a second opener is refused while the first holds it', () =>
  inDir(async (dir) => {
    const log = await EventLog.open(join(dir, 'db'), true)
    await assert.rejects(EventLog.open(join(dir, 'db'), false), (err: unknown) => err instanceof JobtreeError && err.code === 'STORE_IN_USE')
    await log.close()
  }))

test('log: a large append is stored as several segments, and reads start anywhere in them', () =>
  inDir(async (dir) => {
    const path = join(dir, 'db')
    const total = 2 * SEGMENT_EVENTS + 503
    await withLog(path, async (log) => {
      const told: Array<[number, number]> = []
      log.onAppend((first, values) => told.push([first, values.length]))
      assert.equal(await log.append(evs(1, 3)), 3)
      assert.equal(await log.append(evs(4, total)), total)
      assert.deepEqual(
        told,
        [
          [1, 3],
          [4, total - 3],
        ],
        'listeners hear of each append whole',
      )
      assert.deepEqual(await seqsRead(log), range(1, total))
      for (const [from, to] of [
        [1, 1],
        [3, 4],
        [SEGMENT_EVENTS + 2, SEGMENT_EVENTS + 4],
        [SEGMENT_EVENTS + 3, 2 * SEGMENT_EVENTS + 3],
        [total, total],
        [total - 5, Infinity],
        [total + 1, Infinity],
        [10, 9],
      ]) {
        assert.deepEqual(await seqsRead(log, from, to), range(from, Math.min(to, total)), `events ${from} to ${to}`)
      }
    })
    const keys = await underneath(path, (db) => db.keys({ gte: 'b', lt: 'b~' }).all())
    assert.deepEqual(
      keys,
      [1, 4, SEGMENT_EVENTS + 4, 2 * SEGMENT_EVENTS + 4].map((seq) => keyOf('b', seq)),
    )
    assert.equal(await withLog(path, async (log) => log.lastSeq), total)
  }))

test('log: a store written one entry an event (before segments) is read, appended to and read back in order', () =>
  inDir(async (dir) => {
    const path = join(dir, 'db')
    await writeOldLayout(path, 1, 5)
    await withLog(path, async (log) => {
      assert.equal(log.lastSeq, 5)
      assert.deepEqual(await seqsRead(log), range(1, 5))
      assert.equal(await log.append(evs(6, 8)), 8)
      assert.deepEqual(await seqsRead(log), range(1, 8))
      assert.deepEqual(await seqsRead(log, 4, 7), range(4, 7), 'a read across the two layouts')
      assert.deepEqual(await seqsRead(log, 7), range(7, 8))
    })
    await withLog(path, async (log) => {
      assert.equal(log.lastSeq, 8)
      assert.equal(await log.append(evs(9, 9)), 9)
      assert.deepEqual(await seqsRead(log), range(1, 9))
    })
    assert.equal((await underneath(path, (db) => db.keys({ gte: 'e', lt: 'e~' }).all())).length, 5, 'new events never go into the old layout')
  }))

test('log: a hole in the middle is refused, in either layout and between them, and the events before it stay readable', () =>
  inDir(async (dir) => {
    // Each store: events 1 to 5 in the old layout, then segments of events 6–8, 9 and 10–12; one entry deleted.
    const holes: Array<[string, number, number]> = [
      [keyOf('b', 9), 9, 9],
      [keyOf('b', 6), 6, 8],
      [keyOf('e', 3), 3, 3],
      [keyOf('e', 5), 5, 5],
    ]
    for (const [key, first, last] of holes) {
      const path = join(dir, key)
      await writeOldLayout(path, 1, 5)
      await withLog(path, async (log) => {
        for (const [from, to] of [
          [6, 8],
          [9, 9],
          [10, 12],
        ])
          await log.append(evs(from, to))
      })
      await underneath(path, (db) => db.del(key))
      const message = new RegExp(`^the log in ${path} is damaged: events ${first} to ${last} are missing$`)
      await withLog(path, async (damaged) => {
        assert.equal(damaged.lastSeq, 12, 'the end of the log is where it was')
        await assert.rejects(seqsRead(damaged), isCorrupt(message), key)
        await assert.rejects(seqsRead(damaged, 2), isCorrupt(message), `${key}, from event 2`)
        assert.deepEqual(await seqsRead(damaged, 1, first - 1), range(1, first - 1), 'the events before the hole')
      })
    }
  }))

test('log: a segment whose framing cannot be parsed is refused, naming it', () =>
  inDir(async (dir) => {
    const path = join(dir, 'db')
    await withLog(path, async (log) => {
      for (const [from, to] of [
        [1, 3],
        [4, 6],
        [7, 9],
      ])
        await log.append(evs(from, to))
    })
    await underneath(path, (db) => db.put(keyOf('b', 4), Uint8Array.of(3, 1, 1)))
    await withLog(path, async (damaged) => {
      const message = new RegExp(`^the log in ${path} is damaged: the segment of events from 4 cannot be read: it ends inside the length of an event$`)
      await assert.rejects(seqsRead(damaged), isCorrupt(message))
      assert.deepEqual(await seqsRead(damaged, 7), range(7, 9))
    })
    // The last segment tells where the log ends: without it, the log cannot be opened.
    await underneath(path, (db) => db.put(keyOf('b', 7), new Uint8Array(0)))
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        EventLog.open(path, false),
        isCorrupt(/the segment of events from 7 cannot be read: it ends inside its event count$/),
        'refused each time, not left locked',
      )
    }
  }))
