import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { JobtreeError, oneLine } from '../../errors.ts'
import { storePaths } from '../../store/store.ts'
import { charts } from './charts.ts'
import { jobPanel } from './jobPanel.ts'
import { LiveFeed } from './liveFeed.ts'
import { pageHtml } from './pageHtml.ts'
import { pageScript } from './pageAsset.ts'
import { RunModel } from './runModel.ts'
import { SseClients } from './sseClients.ts'

// `jobtree ui`'s web server: one page and the read-only API it asks, on
// Node's own http. Every request carries the run's random token (the page
// URL's `?token=`, which the page puts on each of its requests); any other
// is refused with 403, so another user of the machine, or a web page in the
// browser guessing ports, learns nothing of the run. Nothing here acts on
// the run: the only methods are GET and HEAD.

export interface UiOptions {
  /** 0: any free port. */
  port: number
  host: string
}

export interface RunningUi {
  url: string
  close(): Promise<void>
}

export async function startUi(dir: string, options: UiOptions): Promise<RunningUi> {
  const model = new RunModel(storePaths(dir))
  await model.load()
  const script = await pageScript()
  const token = randomBytes(24).toString('base64url')
  const clients = new SseClients()
  const feed = new LiveFeed(model, (event, data) => clients.broadcast(event, data))
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`error: ${oneLine(err)}\n`)
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ui.invalid')
    if (!tokenMatches(token, url.searchParams.get('token'))) return refuse(res, 403, "forbidden: open the URL jobtree ui printed (it carries the run's token)")
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'the web view only reads the run')
    const seq = wholeNumber(url.searchParams.get('seq')) ?? Number.MAX_SAFE_INTEGER
    switch (url.pathname) {
      case '/':
        return send(res, 'text/html; charset=utf-8', pageHtml(token))
      case '/page.js':
        return send(res, 'text/javascript; charset=utf-8', script)
      case '/api/rows':
        return json(res, await model.rows(seq, wholeNumber(url.searchParams.get('since')) ?? null))
      case '/api/charts':
        return json(res, charts((await model.stateAt(seq)).state))
      case '/api/job': {
        const panel = await jobPanel(model, wholeNumber(url.searchParams.get('id')) ?? -1, seq)
        return panel === undefined ? refuse(res, 404, 'no such job at this position') : json(res, panel)
      }
      case '/api/health':
        return json(res, { seq: model.state.seq, clients: clients.health(), memory: process.memoryUsage() })
      case '/events':
        return clients.add(res, JSON.stringify(model.run()))
      default:
        return refuse(res, 404, 'not found')
    }
  }

  await listen(server, options)
  feed.start()
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${port}/?token=${token}`,
    async close() {
      feed.stop()
      clients.closeAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' }
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

function send(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, { ...HEADERS, 'content-type': type, 'content-security-policy': CSP })
  res.end(body)
}

function json(res: ServerResponse, body: unknown): void {
  send(res, 'application/json; charset=utf-8', JSON.stringify(body))
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' })
  res.end(`${message}\n`)
}

function tokenMatches(token: string, given: string | null): boolean {
  if (given === null) return false
  const a = Buffer.from(token)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function wholeNumber(text: string | null): number | undefined {
  if (text === null || !/^\d{1,15}$/.test(text)) return undefined
  return Number(text)
}

function listen(server: Server, { port, host }: UiOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(new JobtreeError('BAD_OPTION', `port ${port} on ${host} is in use: choose another --port, or leave it out for a free one`))
      else if (err.code === 'EACCES') reject(new JobtreeError('PERMISSION', `no permission to listen on port ${port} on ${host}: choose a port above 1023`))
      else reject(new JobtreeError('BAD_OPTION', `cannot listen on ${host} port ${port}: ${err.message}`))
    })
    server.listen(port, host, () => resolve())
  })
}
