import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JobtreeError } from '../../errors.ts'

// The page's script: dist/ui/page.js, which `npm run build` bundles from
// src/ui/page/ (esbuild is a build tool only: the installed package never
// needs it). Run from the sources with the bundle missing or older than
// them, it is bundled afresh in memory when esbuild is there to do it.

const fromSources = import.meta.url.endsWith('.ts')

/** The folder holding jobtree's package.json, wherever this module runs from (src/, dist/, dist/bundle/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'jobtree') return dir
    const up = dirname(dir)
    if (up === dir) throw new JobtreeError('MODULE_LOAD', `jobtree's package.json is not above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
}

export const PAGE_BUNDLE = 'dist/ui/page.js'

export async function pageScript(): Promise<string> {
  const root = packageRoot()
  const bundle = join(root, PAGE_BUNDLE)
  if (!fromSources || isCurrent(bundle, root)) {
    if (existsSync(bundle)) return readFileSync(bundle, 'utf8')
    throw notBuilt(bundle)
  }
  let esbuild: typeof import('esbuild')
  try {
    esbuild = await import('esbuild')
  } catch {
    throw notBuilt(bundle)
  }
  const built = await esbuild.build({ ...PAGE_BUILD, entryPoints: [join(root, 'src', 'ui', 'page', 'main.ts')], write: false, logLevel: 'silent' })
  return built.outputFiles[0].text
}

/** How the page is bundled, here as by the build script in package.json. */
const PAGE_BUILD = { bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true } as const

function notBuilt(bundle: string): JobtreeError {
  return new JobtreeError('MODULE_LOAD', `the web page is not built (${bundle} is missing or older than src/ui/): run npm run build`)
}

/** The bundle is newer than every source of the page: the page's folder, and the types it shares with the server. */
function isCurrent(bundle: string, root: string): boolean {
  let built: number
  try {
    built = statSync(bundle).mtimeMs
  } catch {
    return false
  }
  const page = join(root, 'src', 'ui', 'page')
  const sources = [join(root, 'src', 'ui', 'protocol.ts'), ...readdirSync(page, { recursive: true, encoding: 'utf8' }).map((f) => join(page, f))]
  return sources.every((file) => statSync(file).mtimeMs <= built)
}
