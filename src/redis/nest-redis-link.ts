import { GatewayError, type Logger, type NestIncoming, type NestOutgoing, type NestWire, type NestWireReplies } from '../internal.js'
import type { RedisBrokerConnection } from './redis-broker-connection.js'
import type { RedisConnectionLike } from './redis-client-like.js'
import { COMMAND, SUBSCRIBER } from './redis-link.js'

/**
 * The NestJS wire on Redis (`Transport.REDIS`: plain pub/sub), with two clients of
 * its own on the broker connection of a gangway `RedisLink`:
 *
 * - requests: SUBSCRIBE `<route>.reply` (and wait for Redis to confirm it) before
 *   the first PUBLISH to `<route>`; every requester of a route receives every reply
 *   on it, so replies are matched by the body's `id`. PUBLISH says how many
 *   subscribers got the message: none means no NestJS server serves the route,
 *   answered `UNAVAILABLE` at once. Redis has no headers: the deadline travels in
 *   the body's `metadata` (`ctx.getMetadata()` in a NestJS 12 handler).
 * - serving (a NestJS `ClientProxy` calling gangway handlers): SUBSCRIBE `<route>`,
 *   answer on `<route>.reply`. Like a NestJS server: every instance subscribed
 *   answers (no consumer group), at most once.
 */
export class NestRedisLink implements NestWire {
  readonly #connection: RedisBrokerConnection
  readonly #connectTimeoutMs: number
  readonly #logger: () => Logger
  readonly #replyChannels = new Map<string, Promise<void>>()
  readonly #routes = new Map<string, (incoming: NestIncoming) => void>()
  #replies: NestWireReplies | undefined
  #publisher: RedisConnectionLike | undefined
  #subscriber: RedisConnectionLike | undefined

  constructor(connection: RedisBrokerConnection, connectTimeoutMs: number, logger: () => Logger) {
    this.#connection = connection
    this.#connectTimeoutMs = connectTimeoutMs
    this.#logger = logger
  }

  unavailable(): 'UNAVAILABLE' | undefined {
    return this.#publisher !== undefined && this.#publisher.status !== 'ready' && this.#connection.state.everConnected ? 'UNAVAILABLE' : undefined
  }

  async connect(): Promise<void> {
    if (this.#publisher === undefined) {
      this.#publisher = this.#connection.open({ ...COMMAND, name: 'nest-command' })
      this.#connection.connect(this.#publisher)
    }
    await this.#connection.ready(this.#publisher, this.#connectTimeoutMs)
  }

  async openReplies(replies: NestWireReplies): Promise<void> {
    this.#replies = replies
    this.#subscribed()
  }

  async send(route: string, body: Buffer, message: NestOutgoing): Promise<void> {
    await this.connect()
    if (message.id !== undefined) await this.#replyChannel(`${route}.reply`)
    let receivers: number
    try {
      receivers = await this.#publisher!.publish(route, body)
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', 'Redis did not take the request', { cause: err })
    }
    if (receivers > 0) return
    if (message.id !== undefined) this.#replies?.unroutable(message.id)
    else this.#logger().debug({ link: 'redis', wire: 'nest', route }, 'an event reached no subscriber')
  }

  async serve(route: string, _options: unknown, receive: (incoming: NestIncoming) => void): Promise<void> {
    if (this.#routes.has(route)) return
    this.#routes.set(route, receive)
    await this.#subscribed().subscribe(route)
  }

  async close(): Promise<void> {
    // The clients close with the gangway link's broker connection.
  }

  /** Waits for Redis to confirm the reply channel's subscription: a reply published before it would be lost. */
  #replyChannel(channel: string): Promise<void> {
    let subscribed = this.#replyChannels.get(channel)
    if (subscribed === undefined) {
      subscribed = this.#subscribed()
        .subscribe(channel)
        .then(
          () => undefined,
          (err: unknown) => {
            this.#replyChannels.delete(channel)
            throw new GatewayError('UNAVAILABLE', 'Redis did not confirm the reply subscription', { cause: err })
          },
        )
      this.#replyChannels.set(channel, subscribed)
    }
    return subscribed
  }

  #subscribed(): RedisConnectionLike {
    if (this.#subscriber !== undefined) return this.#subscriber
    // Offline queue on: ioredis subscribes again by itself after a reconnect.
    const subscriber = this.#connection.open({ ...SUBSCRIBER, name: 'nest-subscriber' })
    this.#connection.connect(subscriber)
    subscriber.on('messageBuffer', (name: Buffer, message: Buffer) => {
      const channel = name.toString()
      try {
        const serve = this.#routes.get(channel)
        if (serve !== undefined) {
          serve({
            route: channel,
            body: message,
            redelivered: false,
            deadline: undefined, // in the body's metadata
            reply: (reply) => void this.#publisher?.publish(`${channel}.reply`, reply).catch((err: unknown) => this.#logger().warn({ link: 'redis', wire: 'nest', err }, 'a reply could not be published')),
            done: noop, // pub/sub has no acknowledgement
          })
        } else if (this.#replyChannels.has(channel)) {
          this.#replies?.reply(undefined, message)
        }
      } catch (err) {
        this.#logger().error({ link: 'redis', wire: 'nest', channel, err }, 'a Redis message handler threw')
      }
    })
    this.#subscriber = subscriber
    return subscriber
  }
}

function noop(): void {}
