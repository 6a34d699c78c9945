import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { Redis, type RedisOptions } from 'ioredis'
import { GatewayError, LinkState, type BrokerLink, type BrokerState, type ConsumeOptions, type Delivery, type Logger } from '../internal.js'

/** Options of the Redis link (see `redisTransport`). */
export interface RedisLinkOptions {
  /** The Redis URL. @default process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' */
  url?: string
  /** A client you already have: gangway uses `duplicate()`s of it and closes only those. @default a client of its own */
  redis?: Redis
  /** Extra ioredis options for the connections gangway opens. @default {} */
  redisOptions?: RedisOptions
  /** Prefix of every key and channel. @default 'gangway' */
  prefix?: string
  /** A request pending this long on a consumer (a worker that died) is claimed by another. @default 30000 */
  claimIdleMs?: number
  /** How often a service looks for such requests. @default 5000 */
  claimIntervalMs?: number
  /** How long one blocking read waits before looking again. @default 2000 */
  blockMs?: number
}

type StreamEntry = [id: Buffer, fields: Buffer[]]

interface Stream {
  readonly key: string
  readonly deliver: (delivery: Delivery) => void
}

/**
 * Redis for the bridge. Requests go to a stream per pattern
 * (`<prefix>:rq:<pattern>`, XADD), read by a consumer group per service group
 * (XREADGROUP), acknowledged and deleted after the handler (XACK + XDEL);
 * entries left pending by a dead worker are re-claimed by the others
 * (XAUTOCLAIM after `claimIdleMs`). Replies and pushes travel on pub/sub
 * (a channel per inbox, one for the broadcast): at-most-once, so a reply lost
 * to a dropped connection ends in `TIMEOUT`, never in silence. Commands are not
 * queued while Redis is unreachable: they fail at once (`UNAVAILABLE`).
 */
export class RedisLink implements BrokerLink {
  readonly kind = 'redis'
  readonly guarantee = 'at-least-once' as const
  readonly batchRequests = true
  readonly #options: RedisLinkOptions
  readonly #prefix: string
  readonly #logger: () => Logger
  readonly #channels = new Map<string, (body: Uint8Array) => void>()
  readonly #streams = new Map<string, Stream>()
  readonly #consumerName = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  #group = 'gangway'
  #prefetch = 64
  #inflight = 0
  #wakeReader: (() => void) | undefined
  #command: Redis | undefined
  #subscriber: Redis | undefined
  #reader: Redis | undefined
  #claimTimer: NodeJS.Timeout | undefined
  #connected: Promise<void> | undefined
  #closed = false
  #everReady = false
  readonly #acks = new Map<string, Buffer[]>()
  #acksScheduled = false
  #claimRounds = 0
  #failedOnce = false
  readonly #reported = new LinkState()
  /** The connections opened, with whether each was ready once (a brand-new one does not make the link "reconnecting"). */
  readonly #clients = new Map<Redis, { role: string; wasReady: boolean }>()

  constructor(options: RedisLinkOptions, logger: () => Logger) {
    this.#options = options
    this.#prefix = options.prefix ?? 'gangway'
    this.#logger = logger
  }

  unavailable(): 'UNAVAILABLE' | undefined {
    if (this.#closed) return 'UNAVAILABLE'
    // Before the first connection is up, requests go ahead and wait for it, unless an attempt failed already.
    return (this.#everReady || this.#failedOnce) && this.#command?.status !== 'ready' ? 'UNAVAILABLE' : undefined
  }

  watchState(listener: (state: BrokerState) => void): void {
    this.#reported.watch(listener)
  }

  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new GatewayError('UNAVAILABLE', 'The Redis transport is closed'))
    this.#connected ??= this.#start().catch((err: unknown) => {
      this.#connected = undefined
      this.#failedOnce = true
      throw err instanceof GatewayError ? err : new GatewayError('UNAVAILABLE', 'Cannot connect to Redis', { cause: err })
    })
    return this.#connected
  }

  async openInbox(id: string, receive: (body: Uint8Array) => void): Promise<void> {
    await this.#subscribe(`${this.#prefix}:inbox:${id}`, receive)
  }

  async closeInbox(id: string): Promise<void> {
    const channel = `${this.#prefix}:inbox:${id}`
    this.#channels.delete(channel)
    await this.#subscriber?.unsubscribe(channel).catch(() => {})
  }

  async openBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    await this.#subscribe(`${this.#prefix}:nodes`, receive)
  }

  async sendRequest(pattern: string, body: Buffer): Promise<void> {
    await this.connect()
    try {
      await this.#command!.xadd(this.#streamKey(pattern), '*', 'b', body)
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', 'Redis did not take the request', { cause: err })
    }
  }

  async sendToInbox(id: string, body: Buffer): Promise<void> {
    await this.connect()
    await this.#command!.publish(`${this.#prefix}:inbox:${id}`, body)
  }

  async broadcast(body: Buffer): Promise<void> {
    await this.connect()
    await this.#command!.publish(`${this.#prefix}:nodes`, body)
  }

  async consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    if (this.#streams.size > 0 && options.group !== this.#group) {
      throw new GatewayError('CONFIG_INVALID', `This Redis transport already reads as group "${this.#group}": use one transport per service group`)
    }
    await this.connect()
    this.#group = options.group
    // One reader serves every pattern of this link: its window is the largest prefetch asked for.
    this.#prefetch = this.#streams.size === 0 ? options.prefetch : Math.max(this.#prefetch, options.prefetch)
    const key = this.#streamKey(pattern)
    await this.#ensureGroup(key)
    this.#streams.set(key, { key, deliver })
    if (this.#reader === undefined) {
      this.#reader = this.#client('reader', { enableOfflineQueue: true })
      void this.#readLoop(this.#reader)
      const every = this.#options.claimIntervalMs ?? 5000
      this.#claimTimer = setInterval(() => void this.#claim(), every)
      this.#claimTimer.unref()
      void this.#claim()
    }
    this.#wakeReader?.()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#reported.set('closed')
    clearInterval(this.#claimTimer)
    this.#wakeReader?.()
    for (const client of [this.#reader, this.#subscriber, this.#command]) client?.disconnect()
  }

  async #start(): Promise<void> {
    // One client for good: it keeps reconnecting in the background even if this first wait fails.
    // No auto-pipelining: the bridge already sends one command per destination per loop turn, and
    // ioredis's own batching on top of that halved throughput in the benchmark.
    this.#command ??= this.#client('command', { enableOfflineQueue: false })
    await ready(this.#command)
    this.#everReady = true
    this.#updateState()
  }

  /** A connection of our own (a duplicate of the user's client, or a new one). */
  #client(role: string, extra: RedisOptions): Redis {
    const base: RedisOptions = {
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000) + Math.floor(Math.random() * 100),
      ...this.#options.redisOptions,
      ...extra,
    }
    const client = this.#options.redis ? this.#options.redis.duplicate(base) : new Redis(this.#options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', base)
    client.on('error', (err: Error) => this.#logger().warn({ link: 'redis', role, err }, 'Redis connection error'))
    client.on('reconnecting', () => this.#logger().info({ link: 'redis', role }, 'reconnecting to Redis'))
    this.#clients.set(client, { role, wasReady: false })
    for (const event of ['ready', 'close', 'end', 'reconnecting', 'connecting']) client.on(event, () => this.#updateState())
    this.#updateState()
    return client
  }

  /** Connected when every connection that was ever ready is ready now; the command connection always counts. */
  #updateState(): void {
    if (this.#closed) return
    let up = true
    for (const [client, info] of this.#clients) {
      if (client.status === 'ready') info.wasReady = true
      else if (info.wasReady || info.role === 'command') up = false
    }
    this.#reported.set(up ? 'connected' : this.#everReady ? 'reconnecting' : 'connecting')
  }

  async #subscribe(channel: string, receive: (body: Uint8Array) => void): Promise<void> {
    await this.connect()
    this.#channels.set(channel, receive)
    if (this.#subscriber === undefined) {
      // Offline queue on: ioredis re-subscribes by itself after a reconnect.
      const subscriber = this.#client('subscriber', { enableOfflineQueue: true, maxRetriesPerRequest: null })
      this.#subscriber = subscriber
      subscriber.on('messageBuffer', (name: Buffer, message: Buffer) => {
        const receiveFor = this.#channels.get(name.toString())
        if (receiveFor === undefined) return
        try {
          receiveFor(message)
        } catch (err) {
          this.#logger().error({ link: 'redis', channel: name.toString(), err }, 'a Redis message handler threw')
        }
      })
    }
    await this.#subscriber.subscribe(channel)
  }

  async #ensureGroup(key: string): Promise<void> {
    try {
      // From the start of the stream: requests queued before any service existed are served too.
      await this.#command!.xgroup('CREATE', key, this.#group, '0', 'MKSTREAM')
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err
    }
  }

  async #readLoop(reader: Redis): Promise<void> {
    while (!this.#closed) {
      const free = this.#prefetch - this.#inflight
      if (free <= 0 || this.#streams.size === 0) {
        await new Promise<void>((resolve) => (this.#wakeReader = resolve))
        this.#wakeReader = undefined
        continue
      }
      const keys = [...this.#streams.keys()]
      let result: Array<[Buffer, StreamEntry[]]> | null
      try {
        result = (await reader.xreadgroupBuffer(
          'GROUP',
          this.#group,
          this.#consumerName,
          'COUNT',
          free,
          'BLOCK',
          this.#options.blockMs ?? 2000,
          'STREAMS',
          ...keys,
          ...keys.map(() => '>'),
        )) as Array<[Buffer, StreamEntry[]]> | null
      } catch (err) {
        if (this.#closed) return
        if (String((err as Error).message).includes('NOGROUP')) {
          // The stream was deleted (or Redis restarted empty): declare the groups again.
          await Promise.all(keys.map((key) => this.#ensureGroup(key).catch(() => {})))
        } else {
          this.#logger().warn({ link: 'redis', err }, 'reading requests failed; retrying')
          await sleep(500)
        }
        continue
      }
      if (result) for (const [key, entries] of result) this.#deliver(key.toString(), entries, false)
    }
  }

  /** Takes over requests left pending on a consumer that stopped acknowledging (a dead worker). */
  async #claim(): Promise<void> {
    const command = this.#command
    if (this.#closed || command?.status !== 'ready') return
    const minIdle = this.#options.claimIdleMs ?? 30_000
    if (++this.#claimRounds % 20 === 0) await this.#forgetDeadConsumers(command, minIdle)
    for (const key of this.#streams.keys()) {
      const free = this.#prefetch - this.#inflight
      if (free <= 0) return
      try {
        // (The Buffer variant is not typed, and `callBuffer` misbehaves under auto-pipelining: bodies are UTF-8 JSON anyway.)
        const [, claimed, deleted] = (await command.xautoclaim(key, this.#group, this.#consumerName, minIdle, '0-0', 'COUNT', free)) as [string, Array<[string, string[]] | null>, string[]?]
        const entries = claimed.map((entry): StreamEntry | null => (entry && entry[1] ? [Buffer.from(entry[0]), entry[1].map((field) => Buffer.from(field))] : null))
        // Entries deleted while pending only need their pending record dropped.
        if (deleted && deleted.length > 0) await command.xack(key, this.#group, ...deleted)
        const live = entries.filter((entry): entry is StreamEntry => entry !== null)
        if (live.length > 0) {
          this.#logger().info({ link: 'redis', stream: key, claimed: live.length }, 'claimed requests a stopped worker left pending')
          this.#deliver(key, live, true)
        }
      } catch (err) {
        this.#logger().warn({ link: 'redis', stream: key, err }, 'claiming pending requests failed')
      }
    }
  }

  /**
   * Every worker that ever ran leaves its consumer name in the group. Names with
   * nothing pending that have been idle far longer than the claim delay belong
   * to workers that are gone: remove them so the group does not grow forever.
   */
  async #forgetDeadConsumers(command: Redis, minIdle: number): Promise<void> {
    for (const key of this.#streams.keys()) {
      try {
        const consumers = (await command.xinfo('CONSUMERS', key, this.#group)) as Array<Array<string | number>>
        for (const fields of consumers) {
          const info = Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]))
          if (info.name !== this.#consumerName && Number(info.pending) === 0 && Number(info.idle) > minIdle * 10) {
            await command.xgroup('DELCONSUMER', key, this.#group, String(info.name))
          }
        }
      } catch (err) {
        this.#logger().debug({ link: 'redis', stream: key, err }, 'could not list the consumer group')
      }
    }
  }

  #deliver(key: string, entries: StreamEntry[], redelivered: boolean): void {
    const stream = this.#streams.get(key)
    if (stream === undefined) return
    for (const [id, fields] of entries) {
      const body = fields[1]
      this.#inflight++
      let acked = false
      const done = () => {
        if (acked) return
        acked = true
        this.#inflight--
        this.#wakeReader?.()
        this.#acknowledge(key, id)
      }
      if (body === undefined) {
        done()
        continue
      }
      stream.deliver({ body, redelivered, done })
    }
  }

  /** Queues an XACK + XDEL; the ids acknowledged in one loop turn go in one command each. */
  #acknowledge(key: string, id: Buffer): void {
    let ids = this.#acks.get(key)
    if (ids === undefined) this.#acks.set(key, (ids = []))
    ids.push(id)
    if (this.#acksScheduled) return
    this.#acksScheduled = true
    setImmediate(() => {
      this.#acksScheduled = false
      const command = this.#command
      const acks = [...this.#acks]
      this.#acks.clear()
      if (command?.status !== 'ready') return // still pending: claimed again later
      for (const [stream, list] of acks) {
        Promise.all([command.xack(stream, this.#group, ...list), command.xdel(stream, ...list)]).catch((err: unknown) =>
          this.#logger().warn({ link: 'redis', err }, 'acknowledging requests failed; they will be claimed again'),
        )
      }
    })
  }

  #streamKey(pattern: string): string {
    return `${this.#prefix}:rq:${pattern}`
  }
}

function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      reject(new GatewayError('UNAVAILABLE', 'Redis did not answer within 5000 ms'))
    }, 5000)
    const onReady = () => {
      cleanup()
      resolve()
    }
    // A refused attempt fails this wait at once; the client goes on reconnecting in the background.
    const onError = (err: Error) => {
      cleanup()
      reject(new GatewayError('UNAVAILABLE', 'Cannot connect to Redis', { cause: err }))
    }
    const cleanup = () => {
      clearTimeout(timer)
      client.off('ready', onReady)
      client.off('error', onError)
    }
    client.on('ready', onReady)
    client.on('error', onError)
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
