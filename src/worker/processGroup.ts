/** SIGKILLs a whole process group: a command and everything it started. */
export function killProcessGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch (err) {
    // Already gone (ESRCH), or the id now names someone else's group (EPERM).
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ESRCH' && code !== 'EPERM') throw err
  }
}
