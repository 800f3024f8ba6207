// A command's action whose module is imported only when the command runs:
// `jobtree status` then loads neither the leader nor the audit views, and a
// start-up stays as short as the command it runs.

/** The action for commander: loads the command, runs it, and sets the exit code it returns. */
export function lazily<A extends unknown[]>(load: () => Promise<(...args: A) => Promise<number>>): (...args: A) => Promise<void> {
  return async (...args) => {
    const command = await load()
    process.exitCode = await command(...args)
  }
}
