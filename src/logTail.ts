import { openSync, readSync, closeSync, fstatSync } from 'node:fs'

/** The last `lines` lines of a file (read from at most its last `maxBytes`); '' if it cannot be read. */
export function logTail(file: string, lines = 20, maxBytes = 16384): string {
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    const size = fstatSync(fd).size
    const length = Math.min(size, maxBytes)
    const buf = Buffer.alloc(length)
    readSync(fd, buf, 0, length, size - length)
    return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
