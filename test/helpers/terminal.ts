// Commands in a real pseudo-terminal (util-linux `script`), as a person runs
// them: keys sent, and what the screen shows.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { repo } from './cli.ts'

/** A command in a pseudo-terminal: send keys, wait for the screen to show something. */
export class Terminal {
  /** Everything written to the terminal, escape sequences and all. */
  output = ''
  private readonly closed: Promise<number | null>
  private readonly child

  constructor(command: string) {
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } })
    this.child.stdout.on('data', (c: Buffer) => (this.output += c.toString('utf8')))
    this.child.stderr.on('data', (c: Buffer) => (this.output += c.toString('utf8')))
    this.closed = new Promise((resolve) => this.child.on('close', (code) => resolve(code)))
  }

  /** What the latest screen shows (the command clears the screen before drawing one). */
  get screen(): string {
    const last = this.output.lastIndexOf('\x1b[2J')
    return this.output.slice(last === -1 ? 0 : last).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
  }

  async press(keys: string, until: RegExp): Promise<string> {
    this.child.stdin.write(keys)
    for (let waited = 0; !until.test(this.screen); waited += 20) {
      if (waited > 15_000) assert.fail(`the screen never showed ${until}; it shows:\n${this.screen}`)
      await sleep(20)
    }
    return this.screen
  }

  async exit(): Promise<number | null> {
    return Promise.race([this.closed, sleep(10_000).then(() => -1)])
  }

  /** Ends it if it still runs (a failed test must not leave it, and the test run, hanging). */
  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}

/**
 * The lines a terminal shows after `output` (a scrolling screen, no height
 * limit): what carriage returns, cursor-up and the erasing sequences leave.
 * Enough of a terminal to check a block redrawn in place.
 */
export function screenLines(output: string): string[] {
  const lines: string[] = ['']
  let row = 0
  let col = 0
  const put = (ch: string) => {
    const line = lines[row].padEnd(col)
    lines[row] = line.slice(0, col) + ch + line.slice(col + 1)
    col += 1
  }
  for (let i = 0; i < output.length; i++) {
    const ch = output[i]
    if (ch === '\x1b' && output[i + 1] === '[') {
      const m = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(output.slice(i))
      if (m === null) continue
      i += m[0].length - 1
      const n = Number(m[1] || '1')
      if (m[2] === 'A') row = Math.max(0, row - n)
      else if (m[2] === 'J' || m[2] === 'K') {
        // J erases to the end of the screen, K to the end of the line.
        if (m[2] === 'J') lines.splice(row + 1)
        lines[row] = lines[row].slice(0, col)
      }
      continue
    }
    if (ch === '\r') col = 0
    else if (ch === '\n') {
      row += 1
      col = 0
      if (row === lines.length) lines.push('')
    } else put(ch)
  }
  return lines.map((l) => l.trimEnd())
}
