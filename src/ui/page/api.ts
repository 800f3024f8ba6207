import type { Charts, JobPanel, RowsMessage } from '../protocol.ts'

// The page's requests to its server: each carries the token the page's own URL came with.

export const token = new URLSearchParams(location.search).get('token') ?? ''

export function apiUrl(path: string, params: Record<string, number | null> = {}): string {
  const query = new URLSearchParams({ token })
  for (const [key, value] of Object.entries(params)) if (value !== null) query.set(key, String(value))
  return `${path}?${query}`
}

async function get<T>(path: string, params: Record<string, number | null>): Promise<T> {
  const res = await fetch(apiUrl(path, params))
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).trim()}`)
  return (await res.json()) as T
}

/** The tree at `seq` (null: now): every row, or with `since` the rows that changed since then. */
export function fetchRows(seq: number | null, since: number | null): Promise<RowsMessage> {
  return get('/api/rows', { seq, since })
}

export function fetchJob(id: number, seq: number | null): Promise<JobPanel> {
  return get('/api/job', { id, seq })
}

export function fetchCharts(seq: number | null): Promise<Charts> {
  return get('/api/charts', { seq })
}
