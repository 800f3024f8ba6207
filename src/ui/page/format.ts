// Small DOM and time helpers for the page (durations and sizes come from src/units.ts, as the CLI prints them).

export function clock(ms: number): string {
  return ms > 0
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : '?'
}

/** An element with text; the page never writes what a job produced as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  if (text !== '') e.textContent = text
  if (className !== '') e.className = className
  return e
}
