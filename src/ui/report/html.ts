// HTML built so that nothing from the log can become markup: every value
// put into the `html` template is escaped unless it is itself markup made by
// `html` (a job named `<script>` shows as that text and never runs).

export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

type Part = Markup | string | number | readonly Part[] | null | undefined | false

export function html(strings: TemplateStringsArray, ...values: Part[]): Markup {
  let out = strings[0]
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]
  })
  return new Markup(out)
}

function render(value: Part): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof Markup) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * JSON for a `<script type="application/json">` element: `<` (and the other
 * characters that matter to HTML) as \u escapes, so that a `</script>` inside a
 * string cannot end the element; JSON.parse reads them back unchanged.
 */
export function scriptJson(value: unknown): Markup {
  return new Markup(JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
}
