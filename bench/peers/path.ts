// Whether a peer is installed: its command on PATH, as the shell would find it.
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** The full path of `command` on PATH, or undefined when it is not installed. */
export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}
