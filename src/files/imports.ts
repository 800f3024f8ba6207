import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { WrittenFile } from '../events/catalogue.ts'
import { fileName, formatFileId, type FileId } from '../events/fileId.ts'
import { isPlainObject } from '../events/promise.ts'
import { JobtreeError, oneLine } from '../errors.ts'
import { makeStoreDir } from '../storeModes.ts'
import { syncDir } from '../syncDir.ts'
import { attemptDir, type FileSource, storeBytes } from './storeFile.ts'

// Files brought into the store when a run starts, for the root's input: a
// placeholder string in the input names a local path or a URL; the leader
// copies each into the store (as job -1's files) before it records the start,
// and the root gets their file ids in its place.

const PREFIX = 'jobtree-import:'

/** A placeholder for the file at `source` (a path, a file:, http: or https: URL), to put in a run's input. */
export function importFile(source: string): FileId {
  if (typeof source !== 'string' || source === '') throw new JobtreeError('BAD_INPUT', `importFile takes a path or a URL, got ${JSON.stringify(source)}`)
  return `${PREFIX}${isUrl(source) ? source : resolve(source)}`
}

/** The input given on the command line, its `{"$import": "path"}` objects turned into placeholders. */
export function cliImports(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cliImports)
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value)
  if (entries.length === 1 && entries[0][0] === '$import') {
    const source = entries[0][1]
    if (typeof source !== 'string') throw new JobtreeError('BAD_INPUT', `{"$import": …} takes a path or a URL, got ${JSON.stringify(source)}`)
    return importFile(source)
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, cliImports(v)]))
}

/** Checks what can be checked of the imports in `input` before a store is made: that each local file is there. */
export function checkImports(input: unknown): void {
  for (const source of sources(input)) {
    const path = localPath(source)
    if (path === undefined) continue
    let isFile = false
    try {
      isFile = statSync(path).isFile()
    } catch (err) {
      throw new JobtreeError('BAD_INPUT', `cannot import ${path}: ${oneLine(err)}`, { path })
    }
    if (!isFile) throw new JobtreeError('BAD_INPUT', `cannot import ${path}: it is not a file`, { path })
  }
}

/** Copies the files `input` imports into the store: the input with their ids, and the files as written. */
export async function importFiles(input: unknown, filesDir: string, runId: string): Promise<{ input: unknown; imports: WrittenFile[] }> {
  const found = [...new Set(sources(input))]
  if (found.length === 0) return { input, imports: [] }
  const dir = attemptDir(filesDir, -1, 0)
  makeStoreDir(dir)
  const ids = new Map<string, FileId>()
  const imports: WrittenFile[] = []
  for (const [n, source] of found.entries()) {
    const name = fileName(localPath(source) ?? new URL(source).pathname)
    const { size, sha256 } = await storeBytes(dir, n, await open(source))
    imports.push({ n, size, sha256, name })
    ids.set(source, formatFileId({ runId, jobId: -1, attempt: 0, n, size, sha256, name }))
  }
  syncDir(dir)
  syncDir(filesDir)
  return { input: mapStrings(input, (s) => (s.startsWith(PREFIX) ? (ids.get(s.slice(PREFIX.length)) ?? s) : s)), imports }
}

async function open(source: string): Promise<FileSource> {
  const path = localPath(source)
  if (path !== undefined) return path
  let response: Response
  try {
    response = await fetch(source)
  } catch (err) {
    throw new JobtreeError('BAD_INPUT', `cannot import ${source}: ${oneLine(err)}`, { url: source })
  }
  if (!response.ok || response.body === null) {
    throw new JobtreeError('BAD_INPUT', `cannot import ${source}: the server answered ${response.status} ${response.statusText}`, { url: source })
  }
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
}

function* sources(value: unknown): Generator<string> {
  if (typeof value === 'string') {
    if (value.startsWith(PREFIX)) yield value.slice(PREFIX.length)
    return
  }
  if (Array.isArray(value)) for (const item of value) yield* sources(item)
  else if (isPlainObject(value)) for (const item of Object.values(value)) yield* sources(item)
}

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value)
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fn))
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]))
  return value
}

function isUrl(source: string): boolean {
  return /^(https?|file):\/\//.test(source)
}

/** The local path an import names, or undefined for a URL to fetch. */
function localPath(source: string): string | undefined {
  if (source.startsWith('file://')) return fileURLToPath(source)
  return /^https?:\/\//.test(source) ? undefined : source
}
