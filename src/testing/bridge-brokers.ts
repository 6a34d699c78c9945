import { connect, createServer, type Server, type Socket } from 'node:net'

/** The brokers' URLs for tests: `AMQP_URL`, `NATS_URL`, `REDIS_URL`, defaulting to the standard loopback ports. */
export const brokerUrls = Object.freeze({
  amqp: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  nats: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
})

const HOW_TO_START = {
  amqp: 'start RabbitMQ (rabbitmq-server -detached) or set AMQP_URL',
  nats: 'start NATS with JetStream (nats-server -js) or set NATS_URL',
  redis: 'start Redis (redis-server) or set REDIS_URL',
} as const

/**
 * `undefined` when the broker answers on TCP; otherwise a skip message saying
 * how to start it. Under `CI=true` an unreachable broker throws instead: broker
 * tests must never be skipped silently in CI.
 */
export async function brokerSkipReason(kind: keyof typeof brokerUrls): Promise<string | undefined> {
  const url = new URL(brokerUrls[kind])
  const port = Number(url.port) || { amqp: 5672, nats: 4222, redis: 6379 }[kind]
  const up = await answers(url.hostname, port)
  if (up) return undefined
  const message = `${kind} is not reachable at ${url.host}: ${HOW_TO_START[kind]}`
  if (process.env.CI === 'true') throw new Error(`CI: ${message}`)
  return message
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    socket.setTimeout(1000)
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('timeout', () => (socket.destroy(), resolve(false)))
    socket.once('error', () => resolve(false))
  })
}

/**
 * A TCP proxy on a free loopback port that a fault test controls: `cut()`
 * destroys every proxied connection (the broker "goes away" for the client),
 * `refuse()` makes new connections fail until `accept()`. The broker behind it
 * is never touched.
 */
export class TcpProxy {
  readonly #server: Server
  readonly #pairs = new Set<[Socket, Socket]>()
  #refusing = false
  port = 0

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.#server = createServer((client) => this.#proxy(client))
  }

  /** Starts a proxy to `host:port`. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort)
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve))
    proxy.port = (proxy.#server.address() as { port: number }).port
    return proxy
  }

  /** Open proxied connections. */
  get connections(): number {
    return this.#pairs.size
  }

  /** Destroys every proxied connection. */
  cut(): void {
    for (const [a, b] of this.#pairs) {
      a.destroy()
      b.destroy()
    }
    this.#pairs.clear()
  }

  /** Refuses (resets) new connections until `accept()`. */
  refuse(): void {
    this.#refusing = true
  }

  accept(): void {
    this.#refusing = false
  }

  /** Stops listening and destroys every proxied connection (it does not wait for clients to go). */
  async close(): Promise<void> {
    this.#refusing = true
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.cut()
    await closed
  }

  #proxy(client: Socket): void {
    if (this.#refusing) {
      client.resetAndDestroy()
      return
    }
    const upstream = connect(this.targetPort, this.targetHost)
    const pair: [Socket, Socket] = [client, upstream]
    this.#pairs.add(pair)
    const drop = () => {
      this.#pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    client.pipe(upstream)
    upstream.pipe(client)
  }
}
