import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib'
import { deadlineOf, GatewayError, type ConsumeOptions, type Logger, type NestIncoming, type NestOutgoing, type NestWire, type NestWireReplies } from '../internal.js'
import type { AmqpBrokerConnection } from './amqp-broker-connection.js'
import type { AmqpChannelSource } from './amqp-connection-like.js'
import type { ResolvedNestAmqpOptions } from './amqp-options.js'
import { sendConfirmed } from './send-confirmed.js'

/** RabbitMQ's direct reply-to pseudo-queue, NestJS's default reply queue. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to'

/**
 * The NestJS wire on RabbitMQ (`Transport.RMQ`), on the broker connection of a
 * gangway `AmqpLink`:
 *
 * - requests: `sendToQueue(queue, { pattern, data, metadata, id }, { replyTo:
 *   'amq.rabbitmq.reply-to', correlationId: id })` on a confirm channel that also
 *   consumes direct reply-to (RabbitMQ requires both on one channel), with an
 *   `x-deadline` header (and the deadline as a per-message TTL with
 *   `expireRequests`); with `noAssert`, `mandatory`, so a message no queue takes
 *   comes back and is answered `UNAVAILABLE` at once;
 *   replies are matched by correlation id. After a reconnect the old reply-to
 *   address is gone, so requests in flight are answered `UNAVAILABLE`.
 * - serving (a NestJS `ClientProxy` calling gangway handlers): the one queue every
 *   pattern shares, routed by the body's `pattern`, acknowledged after the handler
 *   (at least once, where a NestJS server's default `noAck` is at most once); the
 *   reply goes to the message's `replyTo` with its `correlationId`.
 */
export class NestAmqpLink implements NestWire {
  readonly #connection: AmqpBrokerConnection
  readonly #options: ResolvedNestAmqpOptions
  readonly #logger: () => Logger
  #replies: NestWireReplies | undefined
  #serving: { readonly prefetch: number; readonly receive: (incoming: NestIncoming) => void } | undefined
  #channel: ConfirmChannel | undefined
  #serviceChannel: Channel | undefined
  /** The queue's declaration on the current connection: every publish waits for it, in call order. */
  #queueDeclared: Promise<unknown> | undefined
  #repliesConsumed = false
  #setups = 0
  #unconfirmed = 0

  constructor(connection: AmqpBrokerConnection, options: ResolvedNestAmqpOptions, logger: () => Logger) {
    this.#connection = connection
    this.#options = options
    this.#logger = logger
    connection.addSetup((channels) => this.#setup(channels))
    connection.state.watch((state) => {
      if (state === 'reconnecting' || state === 'disconnected') this.#channel = this.#serviceChannel = undefined
    })
  }

  unavailable(): 'BUSY' | undefined {
    return this.#unconfirmed >= this.#options.maxUnconfirmed ? 'BUSY' : undefined
  }

  async openReplies(replies: NestWireReplies): Promise<void> {
    this.#replies = replies
    if (this.#channel !== undefined) await this.#consumeReplies(this.#channel)
  }

  async send(_route: string, body: Buffer, message: NestOutgoing): Promise<void> {
    const channel = this.#channel
    if (channel === undefined || this.#connection.state.current !== 'connected') throw new GatewayError('UNAVAILABLE', 'The AMQP connection is down')
    await this.#declareQueue(channel)
    this.#connection.admit(body.byteLength)
    // Without declaring the queue we cannot know it exists: mandatory makes RabbitMQ return what no queue takes.
    const properties: Options.Publish = { persistent: this.#options.persistent, mandatory: this.#options.noAssert, headers: message.headers }
    if (this.#options.expireRequests && message.deadline !== undefined) properties.expiration = String(Math.max(1, message.deadline - Date.now()))
    if (message.id !== undefined) {
      properties.replyTo = DIRECT_REPLY_TO
      properties.correlationId = message.id
    }
    this.#unconfirmed++
    try {
      await sendConfirmed(channel, this.#options.queue, body, properties)
    } finally {
      this.#unconfirmed--
    }
  }

  async serve(_route: string, options: ConsumeOptions, receive: (incoming: NestIncoming) => void): Promise<void> {
    // One queue for every pattern: the first route starts the consumer, the body's `pattern` routes.
    if (this.#serving !== undefined) return
    this.#serving = { prefetch: options.prefetch, receive }
    if (this.#serviceChannel !== undefined) await this.#consume(this.#serviceChannel)
  }

  async close(): Promise<void> {
    // The channels close with the gangway link's connection.
  }

  /** After every (re)connect, on fresh channels. */
  async #setup(channels: AmqpChannelSource): Promise<void> {
    // Replies to what was sent before now went to a reply-to address that died with the old connection.
    if (this.#setups++ > 0) this.#replies?.lost()
    this.#queueDeclared = undefined
    this.#repliesConsumed = false
    const channel = await channels.createConfirmChannel()
    const serviceChannel = await channels.createChannel()
    for (const each of [channel, serviceChannel] as Channel[]) {
      each.on('error', (err: Error) => this.#logger().warn({ link: 'amqp', wire: 'nest', err }, 'AMQP channel error'))
      each.on('close', () => {
        if (this.#channel === each || this.#serviceChannel === each) {
          this.#logger().warn({ link: 'amqp', wire: 'nest' }, 'an AMQP channel closed; reconnecting')
          this.#connection.restart()
        }
      })
    }
    // A mandatory message no queue takes comes back: nobody serves it.
    channel.on('return', (message: ConsumeMessage) => {
      const id = message.properties.correlationId as string | undefined
      if (id !== undefined) this.#replies?.unroutable(id)
      else this.#logger().warn({ link: 'amqp', wire: 'nest', queue: this.#options.queue }, 'an event found no queue')
    })
    this.#channel = channel
    this.#serviceChannel = serviceChannel
    if (this.#replies !== undefined) await this.#consumeReplies(channel)
    if (this.#serving !== undefined) await this.#consume(serviceChannel)
  }

  async #consumeReplies(channel: ConfirmChannel): Promise<void> {
    if (this.#repliesConsumed) return
    this.#repliesConsumed = true
    await channel.consume(
      DIRECT_REPLY_TO,
      (message) => {
        if (message !== null) this.#replies?.reply(message.properties.correlationId as string | undefined, message.content)
      },
      { noAck: true },
    )
  }

  async #declareQueue(channel: Channel): Promise<void> {
    if (this.#options.noAssert) return
    const declared = (this.#queueDeclared ??= channel.assertQueue(this.#options.queue, this.#options.queueOptions as Options.AssertQueue))
    try {
      await declared
    } catch (err) {
      if (this.#queueDeclared === declared) this.#queueDeclared = undefined
      throw new GatewayError('UNAVAILABLE', `Could not declare the queue "${this.#options.queue}" (do queueOptions match the NestJS service's?)`, { cause: err })
    }
  }

  async #consume(channel: Channel): Promise<void> {
    const { prefetch, receive } = this.#serving!
    await this.#declareQueue(channel)
    await channel.prefetch(prefetch, false)
    await channel.consume(
      this.#options.queue,
      (message) => {
        if (message === null) return // cancelled by the broker (queue deleted); consumed again on reconnect
        const { replyTo, correlationId, headers } = message.properties
        let settled = false
        receive({
          route: undefined,
          body: message.content,
          redelivered: message.fields.redelivered,
          deadline: deadlineOf(headers?.['x-deadline']),
          reply:
            typeof replyTo === 'string' && replyTo.length > 0
              ? (reply) => {
                  if (this.#serviceChannel === channel) channel.sendToQueue(replyTo, reply, { correlationId })
                }
              : undefined,
          done: (handled) => {
            // After a reconnect the old channel is gone and the broker has requeued the message already.
            if (settled || this.#serviceChannel !== channel) return
            settled = true
            try {
              if (handled) channel.ack(message)
              else channel.nack(message, false, false)
            } catch {
              // The channel closed meanwhile; the broker requeues the message.
            }
          },
        })
      },
      { noAck: false },
    )
  }
}
