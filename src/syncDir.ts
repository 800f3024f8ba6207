import { closeSync, fsyncSync, openSync } from 'node:fs'

// A file renamed into a directory has its new name on disk only once the
// directory itself is synced: until then a power cut may undo the rename.

/** Makes the names of files created or renamed into `dir` durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
