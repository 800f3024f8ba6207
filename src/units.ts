import { formatSize } from './sizes.ts'

// Durations, sizes and times as the audit commands print them.

export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?'
  const sign = ms < 0 ? '-' : ''
  const a = Math.abs(ms)
  if (a < 1000) return `${sign}${Math.round(a)} ms`
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1)} s`
  const s = Math.round(a / 1000)
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
  return `${sign}${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}

export function size(bytes: number): string {
  return formatSize(Math.round(bytes))
}

export function isoTime(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : '?'
}

/**
 * Pads each column of `rows` to its widest cell. `align` has a letter a
 * column, l or r; columns past it align right, and by default only the first
 * aligns left.
 */
export function table(rows: string[][], align = 'l'): string[] {
  const widths: number[] = []
  for (const row of rows) for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length)
  return rows.map((row) =>
    row
      .map((cell, i) => (align[i] === 'l' ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd(),
  )
}
