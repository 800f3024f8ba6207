// What a job wrote (its output, its messages, its error's text) is shown to
// whoever runs the leader or `status`, in a terminal. Control characters in
// it would be obeyed by that terminal (move the cursor, clear the screen,
// rewrite a line, set the window title, hide text), so they are shown
// escaped instead: `\x1b`, `\r`, `\u009b`. Tabs stay; newlines stay where
// the text is a block of lines (a log's tail), and are escaped in text
// meant as one line (a message), so that it cannot forge a line of ours.

const CONTROL_ONE_LINE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/g
const CONTROL_BLOCK = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/g

export function printable(text: string, lines: 'one line' | 'block' = 'one line'): string {
  return text.replace(lines === 'block' ? CONTROL_BLOCK : CONTROL_ONE_LINE, escape)
}

function escape(c: string): string {
  if (c === '\n') return '\\n'
  if (c === '\r') return '\\r'
  const code = c.charCodeAt(0)
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}
