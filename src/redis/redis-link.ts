import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { GatewayError, type BrokerLink, type BrokerState, type ConsumeOptions, type Delivery, type Logger } from '../internal.js'
import { RedisBrokerConnection, type RedisClientRole } from './redis-broker-connection.js'
import type { RedisClientLike, RedisConnectionLike } from './redis-client-like.js'
import { resolveRedisLinkOptions, type RedisLinkOptions, type ResolvedRedisLinkOptions } from './redis-options.js'

/** Requests fail fast while disconnected (answered `UNAVAILABLE`); one retry covers a command cut by a reconnect. */
export const COMMAND: RedisClientRole = Object.freeze({
  name: 'command',
  required: true,
  offlineQueue: false,
  retriesPerRequest: 1,
  resendUnanswered: true,
  resubscribe: true,
  quitOnClose: true,
})

/** One blocking read at a time: its offline queue holds one command. Cut at close (QUIT would wait out the read). */
const READER: RedisClientRole = Object.freeze({ ...COMMAND, name: 'reader', required: false, offlineQueue: true, quitOnClose: false })

/** Offline queue on, bounded by the inboxes: ioredis subscribes them again by itself after a reconnect. */
export const SUBSCRIBER: RedisClientRole = Object.freeze({ ...COMMAND, name: 'subscriber', required: false, offlineQueue: true, retriesPerRequest: null })

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
  readonly #options: ResolvedRedisLinkOptions
  readonly #connection: RedisBrokerConnection
  readonly #logger: () => Logger
  readonly #channels = new Map<string, (body: Uint8Array) => void>()
  readonly #streams = new Map<string, Stream>()
  readonly #consumerName = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  #group = 'gangway'
  #prefetch = 64
  #inflight = 0
  #wakeReader: (() => void) | undefined
  #command: RedisConnectionLike | undefined
  #subscriber: RedisConnectionLike | undefined
  #reader: RedisConnectionLike | undefined
  #claimTimer: NodeJS.Timeout | undefined
  #connected: Promise<void> | undefined
  #closed = false
  readonly #acks = new Map<string, Buffer[]>()
  #acksScheduled = false
  #claimRounds = 0
  #failedOnce = false

  /** @param connection a `redis://` / `rediss://` URL, or an ioredis client to duplicate (never closed by the link) */
  constructor(connection: string | RedisClientLike, options: RedisLinkOptions, logger: () => Logger) {
    this.#options = resolveRedisLinkOptions(options)
    this.#connection = new RedisBrokerConnection(connection, this.#options, 'bridge', logger)
    this.#logger = logger
  }

  /** The broker connection the link is built on (the NestJS wire shares it). */
  get connection(): RedisBrokerConnection {
    return this.#connection
  }

  unavailable(): 'UNAVAILABLE' | undefined {
    if (this.#closed) return 'UNAVAILABLE'
    // Before the first connection is up, requests go ahead and wait for it, unless an attempt failed already.
    return (this.#connection.state.everConnected || this.#failedOnce) && this.#command?.status !== 'ready' ? 'UNAVAILABLE' : undefined
  }

  watchState(listener: (state: BrokerState) => void): void {
    this.#connection.state.watch(listener)
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
    await this.#subscribe(`${this.#options.prefix}:inbox:${id}`, receive)
  }

  async closeInbox(id: string): Promise<void> {
    const channel = `${this.#options.prefix}:inbox:${id}`
    this.#channels.delete(channel)
    await this.#subscriber?.unsubscribe(channel).catch(() => {})
  }

  async openBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    await this.#subscribe(`${this.#options.prefix}:nodes`, receive)
  }

  async openServiceBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    await this.#subscribe(`${this.#options.prefix}:services`, receive)
  }

  async broadcastToServices(body: Buffer): Promise<void> {
    await this.connect()
    await this.#command!.publish(`${this.#options.prefix}:services`, body)
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
    await this.#command!.publish(`${this.#options.prefix}:inbox:${id}`, body)
  }

  async broadcast(body: Buffer): Promise<void> {
    await this.connect()
    await this.#command!.publish(`${this.#options.prefix}:nodes`, body)
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
      this.#reader = this.#open(READER)
      void this.#readLoop(this.#reader)
      this.#claimTimer = setInterval(() => void this.#claim(), this.#options.claimIntervalMs)
      this.#claimTimer.unref()
      void this.#claim()
    }
    this.#wakeReader?.()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#claimTimer)
    this.#wakeReader?.()
    await this.#connection.close()
  }

  async #start(): Promise<void> {
    // One client for good: it keeps reconnecting in the background even if this first wait fails.
    this.#command ??= this.#open(COMMAND)
    await this.#connection.ready(this.#command, this.#options.connectTimeoutMs)
  }

  #open(role: RedisClientRole): RedisConnectionLike {
    const client = this.#connection.open(role)
    this.#connection.connect(client)
    return client
  }

  async #subscribe(channel: string, receive: (body: Uint8Array) => void): Promise<void> {
    await this.connect()
    this.#channels.set(channel, receive)
    if (this.#subscriber === undefined) {
      // Offline queue on: ioredis re-subscribes by itself after a reconnect.
      const subscriber = this.#open(SUBSCRIBER)
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

  async #readLoop(reader: RedisConnectionLike): Promise<void> {
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
          this.#options.blockMs,
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
    const minIdle = this.#options.claimIdleMs
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
  async #forgetDeadConsumers(command: RedisConnectionLike, minIdle: number): Promise<void> {
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
    return `${this.#options.prefix}:rq:${pattern}`
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
