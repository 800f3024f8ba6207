import { readdirSync, readFileSync } from 'node:fs'

// The processes of this machine as Linux's /proc shows them, for the local
// batch system's memory watch and its search for a dead worker's commands.

/** The ids of the running processes, as /proc names them; none where /proc cannot be read. */
export function processIds(): string[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return []
  }
}

/** The fields of /proc/<proc>/stat after the command name (from the state on), or undefined when the process is gone. */
export function statFields(proc: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${proc}/stat`, 'utf8')
    // The command name is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}
