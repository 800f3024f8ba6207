import { startUi } from '../ui/server/uiServer.ts'

export interface UiFlags {
  port?: number
  host?: string
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])

/** `jobtree ui`: serves the run's live web view until SIGINT or SIGTERM; prints its URL (with the run's token) as its one line on stdout. */
export async function uiCommand(dir: string, flags: UiFlags): Promise<number> {
  const host = flags.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host) && !host.startsWith('127.'))
    process.stderr.write(`jobtree: warning: the web view listens on ${host}, beyond this machine: anyone who has the URL's token can read the run\n`)
  const ui = await startUi(dir, { port: flags.port ?? 0, host })
  process.stdout.write(`${ui.url}\n`)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await ui.close()
  // Following a run waits on the leader's socket or for the next leader, and cannot be cut short: the server is closed, so leave.
  process.stderr.write(`jobtree: ui stopped (${signal})\n`)
  process.exit(0)
}
