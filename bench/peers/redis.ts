// A private redis-server for the BullMQ runs: on a free port of 127.0.0.1,
// in a temp dir, without persistence as the reference figure was
// measured (so BullMQ never waits for a disk, while jobtree syncs its log),
// and always stopped by its PID, also when the bench fails or is interrupted.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const HOST = '127.0.0.1'
const READY_WITHIN_MS = 10_000

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP port was given')
  return address.port
}

/** Whether the server answers PING with PONG. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST)
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (c: Buffer) => {
      reply += c.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
    socket.once('error', () => done(false))
  })
}

async function untilAnswering(port: number, server: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS
  while (!(await answers(port))) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`redis-server exited before answering: ${output().trim()}`)
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${HOST}:${port} within ${READY_WITHIN_MS} ms: ${output().trim()}`)
    await sleep(50)
  }
}

/** Runs `use` with a fresh redis-server's port, and stops that server after it, whatever happens. */
export async function withRedis<T>(binary: string, use: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'jobtree-peers-redis-'))
  const args = ['--bind', HOST, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no']
  const server = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (c: Buffer) => (output = (output + c.toString()).slice(-4000))
  server.stdout?.on('data', collect)
  server.stderr?.on('data', collect)
  // A failed spawn emits 'error' and maybe no 'exit'.
  const exited = new Promise<void>((resolve) => {
    server.once('exit', () => resolve())
    server.once('error', (err) => {
      output += String(err)
      resolve()
    })
  })

  // A signal or a crash skips the `finally` below; these stop the server in
  // those cases too, synchronously, as an exiting process can.
  const killNow = () => {
    if (server.exitCode === null && server.signalCode === null && server.pid !== undefined) process.kill(server.pid, 'SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
  const interrupted = (signal: NodeJS.Signals) => {
    killNow()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.on('exit', killNow)
  process.on('SIGINT', interrupted)
  process.on('SIGTERM', interrupted)
  try {
    await untilAnswering(port, server, () => output)
    return await use(port)
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    process.off('exit', killNow)
    killNow()
    await exited
  }
}
