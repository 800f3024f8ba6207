// The web view's event stream against a page that stops reading: the server
// keeps a bounded queue for it, drops the rest, and tells it to re-sync once
// it reads again. A real http server and a real client that pauses, with far
// more sent than the kernel's socket buffers hold.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SseClients } from '../src/ui/server/sseClients.ts'
import { eventually } from './helpers/processes.ts'

test('ui back-pressure: a page that stops reading is cut off at its bound, then told to re-sync', async (t) => {
  const clients = new SseClients()
  const server = createServer((_req, res) => clients.add(res, '{}'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    clients.closeAll()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  const res = await new Promise<IncomingMessage>((resolve) => request({ port, host: '127.0.0.1', path: '/events' }, resolve).end())
  res.pause()
  await eventually('the server has the client', () => clients.health().length === 1)

  // 64 MiB in 256 KiB messages: far past the kernel's buffers and the 1 MiB bound.
  const message = 'x'.repeat(256 * 1024)
  for (let i = 0; i < 256; i++) {
    clients.broadcast('rows', message)
    await new Promise((resolve) => setImmediate(resolve))
  }
  const [stalled] = clients.health()
  assert.equal(stalled.lagging, true)
  assert.ok(stalled.dropped > 0, 'messages past the bound were dropped')
  assert.ok(stalled.queuedBytes <= stalled.boundBytes + message.length + 64, `queued ${stalled.queuedBytes} bytes`)

  // Reading again, the client gets what was queued, then the word to fetch the tree afresh.
  let text = ''
  res.setEncoding('utf8')
  res.on('data', (c: string) => {
    text = (text + c).slice(-4096)
  })
  res.resume()
  await eventually('the client is told to re-sync', () => text.includes('event: resync'), 30_000)
  assert.equal(clients.health()[0].resyncs, 1)
  // And it is sent the next messages again.
  clients.broadcast('rows', '{"after":true}')
  await eventually('the next message arrives', () => text.includes('{"after":true}'), 10_000)
})
