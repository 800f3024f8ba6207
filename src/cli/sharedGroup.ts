import { execFileSync } from 'node:child_process'
import { JobtreeError } from '../errors.ts'
import { readMarker, storePaths } from '../store/store.ts'

// --shared-group names the group that may read a store. It is checked before
// the store exists (a bad one leaves nothing behind), and recorded in the
// store's marker, which every later leader follows: a store's access is set
// once, when it is made.

/** The gid of `group` (a name, or a number), refused unless this user may give a file to it. */
export function sharedGroupId(group: string): number {
  const gid = /^\d+$/.test(group) ? Number(group) : lookUp(group)
  const mine = process.getuid?.() === 0 || process.getgid?.() === gid || (process.getgroups?.() ?? []).includes(gid)
  if (!mine) throw new JobtreeError('BAD_OPTION', `--shared-group ${group}: you are not a member of that group, so a store cannot be given to it`)
  return gid
}

function lookUp(group: string): number {
  let entry: string
  try {
    // getent asks the system's name service (/etc/group, LDAP, …), as chgrp would.
    entry = execFileSync('getent', ['group', group], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  } catch {
    throw new JobtreeError('BAD_OPTION', `--shared-group ${group}: no such group`)
  }
  const gid = Number(entry.split(':')[2])
  if (!Number.isSafeInteger(gid)) throw new JobtreeError('BAD_OPTION', `--shared-group ${group}: no such group`)
  return gid
}

/** Refuses a --shared-group on --restart that is not the one the store was made with. */
export function checkSameGroup(store: string, gid: number | undefined): void {
  if (gid === undefined) return
  const recorded = readMarker(storePaths(store)).sharedGroup
  if (recorded === gid) return
  const now = recorded === undefined ? "its owner's alone" : `shared with group ${recorded}`
  throw new JobtreeError('BAD_OPTION', `--shared-group is set when a store is made: store ${store} is ${now}, and stays so on --restart`, { store })
}
