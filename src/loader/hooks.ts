import { readFileSync } from 'node:fs'
import type { LoadHook } from 'node:module'
import { fileURLToPath } from 'node:url'

// A module hook for workflow modules, installed after tsx's (so it runs
// first). Node and tsx take a .ts or .js file for CommonJS unless the
// nearest package.json says "type": "module", which `npm init -y` does not.
// A workflow written with import and export would then be compiled to
// CommonJS and its `import … from 'jobtree'` become a require() of a second
// copy of jobtree. So a user's file (outside node_modules) that is written
// as an ES module is loaded as one, whatever the package type: what Node 22
// does by itself for .js ("syntax detection"), done here for Node 20 and
// for TypeScript. A file written as CommonJS (require, module.exports,
// `import x = require(…)`) stays CommonJS.

const DETECTED = /\.(ts|tsx|js|jsx)$/
const ESM_SYNTAX = /^[ \t]*(?:import(?:\s+type)?\s*(?:[\w$]+\s*,\s*)?(?:[{*'"]|[\w$]+\s+from\b)|export\s+(?!=))/m

export const load: LoadHook = (url, context, nextLoad) => {
  if (context.format !== 'module' && url.startsWith('file:') && DETECTED.test(url) && !url.includes('/node_modules/')) {
    if (writtenAsModule(fileURLToPath(url))) return nextLoad(url, { ...context, format: 'module' })
  }
  return nextLoad(url, context)
}

function writtenAsModule(file: string): boolean {
  try {
    return ESM_SYNTAX.test(readFileSync(file, 'utf8'))
  } catch {
    // Unreadable: let the next loader report it as it would.
    return false
  }
}
