import { JobtreeError } from './errors.ts'

// Sizes as people write them: 1024, '512M', '2G', '1.5GiB'. Powers of 1024,
// as Slurm and jobTree read them.

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }

export function parseSize(value: number | string, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new JobtreeError('BAD_OPTION', `${what} must be a size of 0 or more bytes, got ${value}`, { what, value })
    return Math.round(value)
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(value)
  if (m === null) throw new JobtreeError('BAD_OPTION', `${what} must be a size such as 512M or 2G, got ${JSON.stringify(value)}`, { what, value })
  return Math.round(Number(m[1]) * UNITS[m[2].toLowerCase()])
}

export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['T', 2 ** 40],
    ['G', 2 ** 30],
    ['M', 2 ** 20],
    ['K', 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${(bytes / size).toFixed(bytes % size === 0 ? 0 : 1)}${unit}`
  }
  return `${bytes}B`
}
