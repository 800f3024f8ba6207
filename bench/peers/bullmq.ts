// The shapes on BullMQ, against the redis-server of bench/peers/redis.ts: one
// Worker of concurrency 8 in this process, as the reference figure.
//
// The wide tree is one flow (FlowProducer): root → `width` branches →
// `fanout` leaves each, the same 1 + width + width × fanout jobs. A BullMQ
// flow is submitted whole and runs a parent after its children, where jobtree
// runs a parent first and the parent adds its children; both run every job
// of the tree once, which is what the jobs per second count. The clock runs
// from submitting the flow to the root completing.
//
// The chain is jobs that each add the next one (queue.add) when processed,
// as jobtree's chain target adds its follow-on; the clock runs from adding
// the first to the last completing.
import { performance } from 'node:perf_hooks'
import { FlowProducer, Queue, Worker, type FlowJobNode, type Processor } from 'bullmq'
import type { PeerRun } from './figures.ts'

const CONCURRENCY = 8

let runs = 0

/**
 * Runs a worker on a queue of its own until a job `isLast` says is the last
 * completes; `start` submits the work. The queue is emptied afterwards, so
 * that each run meets the same Redis.
 */
async function timed<Data>(
  port: number,
  processor: (queue: Queue<Data>) => Processor<Data>,
  isLast: (name: string, data: Data) => boolean,
  start: (queue: Queue<Data>) => Promise<unknown>,
): Promise<number> {
  const connection = { host: '127.0.0.1', port }
  const queue = new Queue<Data>(`jobtree-peers-${process.pid}-${++runs}`, { connection })
  const worker = new Worker<Data>(queue.name, processor(queue), { connection, concurrency: CONCURRENCY })
  try {
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()])
    const finished = new Promise<number>((resolve, reject) => {
      worker.on('completed', (job) => {
        if (isLast(job.name, job.data)) resolve(performance.now())
      })
      worker.on('failed', (job, err) => reject(new Error(`BullMQ job ${job?.name ?? '?'} failed: ${err.message}`)))
      worker.on('error', reject)
    })
    const started = performance.now()
    await start(queue)
    return ((await finished) - started) / 1000
  } finally {
    await worker.close()
    await queue.obliterate({ force: true })
    await queue.close()
  }
}

/** root → `width` branches → `fanout` leaves each, as one flow. */
export async function bullmqWide(port: number, width: number, fanout: number): Promise<PeerRun> {
  const flows = new FlowProducer({ connection: { host: '127.0.0.1', port } })
  try {
    const seconds = await timed<null>(
      port,
      () => async () => {},
      (name) => name === 'root',
      async (queue) => {
        const leaf = (): FlowJobNode => ({ name: 'leaf', queueName: queue.name })
        const branch = (): FlowJobNode => ({ name: 'branch', queueName: queue.name, children: Array.from({ length: fanout }, leaf) })
        await flows.add({ name: 'root', queueName: queue.name, children: Array.from({ length: width }, branch) })
      },
    )
    return { jobs: 1 + width + width * fanout, seconds }
  } finally {
    await flows.close()
  }
}

/** `n` jobs, each adding the next when it runs. */
export async function bullmqChain(port: number, n: number): Promise<PeerRun> {
  const seconds = await timed<{ left: number }>(
    port,
    (queue) => async (job) => {
      if (job.data.left > 1) await queue.add('chain', { left: job.data.left - 1 })
    },
    (_name, data) => data.left === 1,
    (queue) => queue.add('chain', { left: n }),
  )
  return { jobs: n, seconds }
}
