import { fileURLToPath } from 'node:url'

// jobtree runs from its TypeScript sources in a checkout (through tsx) and
// from compiled JavaScript when installed, so a file that names another of
// jobtree's files to start it (a worker, a hook) names it with the
// extension the calling file itself has.

/** The path of jobtree's own file `relative` (written with `.ts`), next to the module at `base`. */
export function ownFile(relative: string, base: string): string {
  const extension = base.endsWith('.ts') ? '.ts' : '.js'
  return fileURLToPath(new URL(relative.replace(/\.ts$/, extension), base))
}
