import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { EventLog } from './log.ts'
import { syncDir } from '../syncDir.ts'
import { JobtreeError } from '../errors.ts'
import { isNoSpace, NOT_CREATED, diskFullError, orDiskFull, resumeHint } from '../diskFull.ts'
import { jobLogName } from './jobLogName.ts'
import { holdUmask, makeStoreDir, storeRootMode, storeUmask, writeStoreFile } from '../storeModes.ts'

// A store is a directory: the LevelDB event log (the only truth), a marker
// that says the directory is a jobtree store, the jobs' log files and the
// run's shared files. The LevelDB lock is the one-leader-per-store lock: the
// kernel drops it when its process dies, so a SIGKILLed leader never leaves a
// stale lock behind.

const MARKER = 'jobtree.json'
const UNFINISHED_MARKER = `${MARKER}.tmp`
const FORMAT = 'jobtree-store'
const VERSION = 1

export interface StorePaths {
  root: string
  events: string
  logs: string
  global: string
  /** The file store: one directory per attempt that wrote files (files/<job>-<attempt>/<n>). */
  files: string
}

export function storePaths(dir: string): StorePaths {
  const root = resolve(dir)
  return { root, events: join(root, 'events'), logs: join(root, 'logs'), global: join(root, 'global'), files: join(root, 'files') }
}

/** The marker that makes a directory a store: gone, the directory is no store any command runs, resumes or removes. */
export function markerFile(paths: StorePaths): string {
  return join(paths.root, MARKER)
}

export function jobLogFile(paths: StorePaths, jobId: number): string {
  return join(paths.logs, jobLogName(jobId))
}

export interface OpenStore {
  paths: StorePaths
  log: EventLog
}

/** What the marker says of the store beyond its format. */
export interface StoreMarker {
  /** The group that may read the store (--shared-group), by gid; none: its owner's alone. */
  sharedGroup?: number
}

export interface CreateOptions {
  /** The gid of the group that may read the store. */
  sharedGroup?: number
}

/** What a creation leaves before its marker is in place (the temp marker first). */
const MADE_BEFORE_MARKER = new Set([UNFINISHED_MARKER, 'events', 'logs', 'global', 'files'])

/** True when `dir` holds only what a creation killed before its marker was in place leaves: a store not yet created. */
export function isUnfinishedStore(dir: string): boolean {
  const root = resolve(dir)
  try {
    const names = readdirSync(root)
    return names.includes(UNFINISHED_MARKER) && !names.includes(MARKER) && names.every((name) => MADE_BEFORE_MARKER.has(name))
  } catch {
    return false
  }
}

/** Removes what an interrupted creation left, unless a leader creating the store now holds its log. */
async function clearUnfinished(paths: StorePaths): Promise<void> {
  if (existsSync(join(paths.events, 'CURRENT'))) {
    const log = await EventLog.open(paths.events, false)
    await log.close()
  }
  for (const name of MADE_BEFORE_MARKER) rmSync(join(paths.root, name), { recursive: true, force: true })
}

/** True when `dir` holds a jobtree store's marker; throws when `dir` is another user's. */
export function isStore(dir: string): boolean {
  const root = resolve(dir)
  checkAccess(root)
  return existsSync(join(root, MARKER))
}

/** Refuses a directory the user may not read, rather than taking it for no store at all. */
function checkAccess(root: string): void {
  try {
    if (statSync(root).isDirectory()) accessSync(root, constants.R_OK | constants.X_OK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EACCES' || code === 'EPERM') {
      throw new JobtreeError('PERMISSION', `store ${root} belongs to another user: only its owner may read it or run it`, { store: root })
    }
  }
}

/** Creates a new store; refuses a directory that is a store already or holds anything else. */
export async function createStore(dir: string, options: CreateOptions = {}): Promise<OpenStore> {
  const paths = storePaths(dir)
  if (isStore(paths.root)) {
    throw new JobtreeError('STORE_EXISTS', `store ${paths.root} already exists: resume it with --restart, or choose a new --store`, { store: paths.root })
  }
  const existed = existsSync(paths.root)
  if (existed) {
    if (!statSync(paths.root).isDirectory()) throw new JobtreeError('STORE_INVALID', `${paths.root} is a file, not a store directory`, { store: paths.root })
    if (isUnfinishedStore(paths.root)) await clearUnfinished(paths)
    else if (readdirSync(paths.root).length > 0) {
      throw new JobtreeError('STORE_INVALID', `${paths.root} is not empty and is not a jobtree store: choose a new or empty directory`, { store: paths.root })
    }
  }
  const marker = join(paths.root, MARKER)
  const unfinished = join(paths.root, UNFINISHED_MARKER)
  const shared = options.sharedGroup !== undefined
  const release = holdUmask(storeUmask(shared))
  try {
    // The marker is the last thing made, whole or not at all (write, then
    // rename): a store with a marker always has its log, and a leader killed
    // before the rename leaves a store not yet created (the temp marker and
    // what followed it), which the same command creates again.
    // The store holds the run's inputs, which may carry credentials: it is its
    // owner's alone, whatever the umask.
    // A shared store's group is set on its root, whose setgid bit passes it
    // on to everything made inside.
    mkdirSync(paths.root, { recursive: true, mode: 0o700 })
    if (options.sharedGroup !== undefined) chownSync(paths.root, -1, options.sharedGroup)
    chmodSync(paths.root, storeRootMode(shared))
    const recorded: StoreMarker = shared ? { sharedGroup: options.sharedGroup } : {}
    writeStoreFile(unfinished, JSON.stringify({ format: FORMAT, version: VERSION, ...recorded }) + '\n')
    const store = await openLog(paths, 'create', release)
    try {
      renameSync(unfinished, marker)
      syncDir(paths.root)
    } catch (err) {
      await store.log.close()
      throw err
    }
    return store
  } catch (err) {
    release()
    if (!isNoSpace(err)) throw err
    // A disk that filled up while the store was being made leaves what it
    // was: the same command works once space is freed, with nothing to resume.
    if (existed) for (const name of readdirSync(paths.root)) rmSync(join(paths.root, name), { recursive: true, force: true })
    else rmSync(paths.root, { recursive: true, force: true })
    throw diskFullError(err, paths.root, NOT_CREATED)
  }
}

/**
 * Opens the store's log: to `create` it (a new store), to `resume` its run
 * (a leader), or to `read` it, which creates nothing: a reader must never
 * turn a store whose log is gone into a new, empty run.
 */
async function openLog(paths: StorePaths, mode: 'create' | 'resume' | 'read', release: () => void): Promise<OpenStore> {
  if (mode !== 'create' && !existsSync(join(paths.events, 'CURRENT'))) {
    throw new JobtreeError(
      'STORE_INVALID',
      `the event log of store ${paths.root} is gone (${paths.events} holds no LevelDB log): restore the store from a copy`,
      { store: paths.root },
    )
  }
  if (mode !== 'create') checkWritable(paths)
  const asLeader = mode !== 'read'
  for (const dir of asLeader ? [paths.events, paths.logs, paths.global, paths.files] : []) {
    try {
      makeStoreDir(dir)
    } catch (err) {
      throw orDiskFull(err, dir, resumeHint(paths.root))
    }
  }
  const log = await EventLog.open(paths.events, mode === 'create')
  log.whenClosed(release)
  return { paths, log }
}

/** Refuses a store shared with the user's group: LevelDB opens a log for writing, even to read it. */
function checkWritable(paths: StorePaths): void {
  try {
    accessSync(paths.events, constants.W_OK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EACCES' && code !== 'EPERM') return
    throw new JobtreeError(
      'PERMISSION',
      `store ${paths.root} is shared with your group to read its files, not to open its log: copy it (cp -r) and read the copy`,
      { store: paths.root },
    )
  }
}

/** Opens an existing store, for reading or, with `asLeader`, for a leader that resumes its run. */
export async function openStore(dir: string, asLeader = false): Promise<OpenStore> {
  const paths = storePaths(dir)
  if (!existsSync(paths.root)) throw new JobtreeError('STORE_MISSING', `no store at ${paths.root}`, { store: paths.root })
  checkAccess(paths.root)
  const release = holdUmask(storeUmask(readMarker(paths).sharedGroup !== undefined))
  try {
    return await openLog(paths, asLeader ? 'resume' : 'read', release)
  } catch (err) {
    release()
    throw err
  }
}

/** The store's marker, checked: refuses a directory that is not a store this jobtree reads. */
export function readMarker(paths: StorePaths): StoreMarker {
  const file = join(paths.root, MARKER)
  let marker: unknown
  try {
    marker = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    throw new JobtreeError('STORE_INVALID', `${paths.root} is not a jobtree store (no readable ${MARKER})`, { store: paths.root })
  }
  const m = marker as { format?: unknown; version?: unknown }
  if (m.format !== FORMAT) throw new JobtreeError('STORE_INVALID', `${paths.root} is not a jobtree store (${MARKER} is foreign)`, { store: paths.root })
  if (m.version !== VERSION) {
    throw new JobtreeError('STORE_INVALID', `store ${paths.root} has format version ${String(m.version)}, this jobtree reads version ${VERSION}`, {
      store: paths.root,
    })
  }
  const group = (marker as StoreMarker).sharedGroup
  return Number.isSafeInteger(group) ? { sharedGroup: group } : {}
}
