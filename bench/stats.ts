// Small helpers for benchmark figures.

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Runs `fn` `times` times and returns the median of what it returns. */
export async function medianOf(times: number, fn: () => Promise<number>): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < times; i++) xs.push(await fn())
  return median(xs)
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}
