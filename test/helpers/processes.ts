// Watching processes from tests.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }
  // An unreaped zombie is dead too.
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

/** Polls `check` until it holds, failing after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(25)
  }
  assert.fail(`timed out waiting until ${what}`)
}

/** The pids of the live (not zombie) processes whose parent is `pid`, from /proc. */
export function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    // The command name is in parentheses and may hold spaces: the fields after it are fixed.
    const fields = readOrEmpty(`/proc/${name}/stat`)
      .replace(/^.*\) /s, '')
      .split(' ')
    if (fields[0] !== 'Z' && Number(fields[1]) === pid) children.push(Number(name))
  }
  return children
}

/** The pids of the live (not zombie) processes whose environment holds `name=value`, from /proc. */
export function processesWithEnv(name: string, value: string): number[] {
  const entry = `${name}=${value}`
  const found: number[] = []
  for (const pidName of readdirSync('/proc')) {
    if (!/^\d+$/.test(pidName)) continue
    const pid = Number(pidName)
    if (pid === process.pid || isDead(pid)) continue
    if (readOrEmpty(`/proc/${pidName}/environ`).split('\0').includes(entry)) found.push(pid)
  }
  return found
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
