import type { ServerResponse } from 'node:http'

// The pages following the run over server-sent events. A page that reads
// slower than the run goes (or not at all) must cost the server a bounded
// amount of memory and never hold up the fold: once what waits unsent for a
// page passes the bound (1 MiB; JOBTREE_UI_QUEUE_BYTES sets another),
// nothing more is queued for it; when its connection drains, it is told to
// fetch the current tree afresh.

const bound = boundBytes(process.env.JOBTREE_UI_QUEUE_BYTES)

function boundBytes(text: string | undefined): number {
  const n = Number(text)
  return text !== undefined && Number.isSafeInteger(n) && n > 0 ? n : 1 << 20
}

export interface ClientHealth {
  queuedBytes: number
  boundBytes: number
  lagging: boolean
  resyncs: number
  dropped: number
}

class SseClient {
  lagging = false
  resyncs = 0
  dropped = 0

  constructor(readonly res: ServerResponse) {}

  send(event: string, data: string): void {
    if (this.lagging) {
      this.dropped += 1
      return
    }
    if (this.res.writableLength > bound) {
      this.lagging = true
      this.dropped += 1
      this.res.once('drain', () => {
        this.lagging = false
        this.resyncs += 1
        this.res.write('event: resync\ndata: {}\n\n')
      })
      return
    }
    this.res.write(`event: ${event}\ndata: ${data}\n\n`)
  }

  health(): ClientHealth {
    return { queuedBytes: this.res.writableLength, boundBytes: bound, lagging: this.lagging, resyncs: this.resyncs, dropped: this.dropped }
  }
}

export class SseClients {
  private readonly clients = new Set<SseClient>()

  add(res: ServerResponse, hello: string): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    const client = new SseClient(res)
    this.clients.add(client)
    res.on('close', () => this.clients.delete(client))
    client.send('run', hello)
  }

  broadcast(event: string, data: string): void {
    for (const client of this.clients) client.send(event, data)
  }

  health(): ClientHealth[] {
    return [...this.clients].map((c) => c.health())
  }

  closeAll(): void {
    for (const client of this.clients) client.res.destroy()
    this.clients.clear()
  }
}
