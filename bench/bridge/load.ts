import WebSocket from 'ws'

/**
 * `gangway`: gangway gateway → gangway service; `gangway-nest`: gangway gateway → the unmodified
 * NestJS service (`wire: 'nest'`); `nest`: NestJS gateway → the same NestJS service.
 */
export type Framework = 'gangway' | 'gangway-nest' | 'nest'

/** One measured run. */
export interface LoadResult {
  concurrency: number
  requests: number
  seconds: number
  rps: number
  p50: number
  p99: number
  errors: number
  /** Round trips completed outside the measured window (warm-up, drain), for CPU accounting. */
  warmupRequests: number
}

interface Lane {
  send(): void
}

/**
 * Round trips client → gateway → broker → worker → gateway → client at a fixed
 * number of requests in flight, spread over up to 16 sockets. Latencies count
 * from `warmupMs` to `warmupMs + durationMs`; then lanes stop and in-flight
 * requests drain (bounded).
 */
export async function runLoad(options: { url: string; framework: Framework; concurrency: number; warmupMs: number; durationMs: number }): Promise<LoadResult> {
  const { url, framework, concurrency, warmupMs, durationMs } = options
  const socketCount = Math.min(concurrency, 16)
  const lanesPerSocket = Math.ceil(concurrency / socketCount)
  const sockets = await Promise.all(Array.from({ length: socketCount }, () => open(url)))
  const latencies: number[] = []
  let errors = 0
  let completed = 0
  let measuring = false
  let stopping = false
  let inflight = 0
  let drained: (() => void) | undefined
  let nextId = 1

  for (const ws of sockets) {
    const pending = new Map<number, { start: number; lane: Lane }>()
    ws.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString()) as { id?: number; data?: { id?: number }; error?: unknown }
      const id = framework === 'nest' ? frame.data?.id : frame.id
      const entry = id === undefined ? undefined : pending.get(id)
      if (!entry) return
      pending.delete(id!)
      inflight--
      completed++
      if (frame.error !== undefined) errors++
      else if (measuring) latencies.push(performance.now() - entry.start)
      if (!stopping) entry.lane.send()
      else if (inflight === 0) drained?.()
    })
    for (let l = 0; l < lanesPerSocket && sockets.indexOf(ws) * lanesPerSocket + l < concurrency; l++) {
      const lane: Lane = {
        send() {
          const id = nextId++
          pending.set(id, { start: performance.now(), lane })
          inflight++
          const payload = { n: id, text: 'how many roads must a man walk down' }
          ws.send(framework === 'nest' ? JSON.stringify({ event: 'ask', data: { id, payload } }) : JSON.stringify({ event: 'ask', data: payload, id }))
        },
      }
      lane.send()
    }
  }

  await sleep(warmupMs)
  measuring = true
  const started = performance.now()
  await sleep(durationMs)
  measuring = false
  const seconds = (performance.now() - started) / 1000
  stopping = true
  if (inflight > 0) await Promise.race([new Promise<void>((resolve) => (drained = resolve)), sleep(10_000)])
  for (const ws of sockets) ws.terminate()
  latencies.sort((a, b) => a - b)
  const at = (q: number) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!)
  return { concurrency, requests: latencies.length, seconds, rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), errors, warmupRequests: completed - latencies.length }
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
