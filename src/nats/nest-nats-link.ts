import { headers as natsHeaders, nuid } from '@nats-io/transport-node'
import { deadlineOf, GatewayError, type ConsumeOptions, type Logger, type NestIncoming, type NestOutgoing, type NestWire, type NestWireReplies } from '../internal.js'
import type { NatsBrokerConnection } from './nats-broker-connection.js'
import type { NatsConnectionLike, NatsMessageLike, NatsSubscriptionLike } from './nats-connection-like.js'

/**
 * The NestJS wire on NATS (`Transport.NATS`), on the connection of a gangway
 * `NatsLink`:
 *
 * - requests: `PUB <route>` (NestJS's normalized pattern is the subject) with a
 *   reply subject under one wildcard inbox subscription of this process
 *   (`_INBOX.<nuid>.<request id>`), so the server's "no responders" status answers
 *   a route nobody serves `UNAVAILABLE` at once; headers carry `x-deadline`,
 *   `x-connection-id` and `x-trace-id`; replies are matched by their reply subject.
 * - serving (a NestJS `ClientProxy` calling gangway handlers): one subscription
 *   per route in the service's queue group (a NestJS server subscribes without one,
 *   so every instance answers; gangway's instances share the work), answered on the
 *   message's reply subject. At most once, like core NATS.
 */
export class NestNatsLink implements NestWire {
  readonly #connection: NatsBrokerConnection
  readonly #logger: () => Logger
  readonly #inbox = `_INBOX.${nuid.next()}`
  readonly #subscriptions: NatsSubscriptionLike[] = []
  readonly #served = new Set<string>()

  constructor(connection: NatsBrokerConnection, logger: () => Logger) {
    this.#connection = connection
    this.#logger = logger
  }

  async openReplies(replies: NestWireReplies): Promise<void> {
    const nc = await this.#connection.open()
    const prefix = `${this.#inbox}.`
    this.#subscribe(nc, `${prefix}>`, undefined, (msg) => {
      const id = msg.subject.slice(prefix.length)
      // An empty reply is NestJS's "no subscribers" (the server's 503 "no responders" status has no body).
      if (msg.data.byteLength === 0) replies.unroutable(id)
      else replies.reply(id, msg.data)
    })
    await nc.flush()
  }

  async send(route: string, body: Buffer, message: NestOutgoing): Promise<void> {
    const nc = await this.#connection.open()
    const names = Object.keys(message.headers)
    let headers: ReturnType<typeof natsHeaders> | undefined
    if (names.length > 0) {
      headers = natsHeaders()
      for (const name of names) headers.set(name, message.headers[name]!)
    }
    try {
      nc.publish(route, body, { reply: message.id === undefined ? undefined : `${this.#inbox}.${message.id}`, headers })
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', 'NATS did not take the request', { cause: err })
    }
  }

  async serve(route: string, options: ConsumeOptions, receive: (incoming: NestIncoming) => void): Promise<void> {
    if (this.#served.has(route)) return
    this.#served.add(route)
    const nc = await this.#connection.open()
    this.#subscribe(nc, route, options.group, (msg) => {
      const respond = msg.respond?.bind(msg)
      receive({
        route,
        body: msg.data,
        redelivered: false,
        deadline: deadlineOf(msg.headers?.get?.('x-deadline')),
        reply: msg.reply && respond ? (reply) => void respond(reply) : undefined,
        done: noop, // core NATS has no acknowledgement
      })
    })
    await nc.flush()
  }

  async close(): Promise<void> {
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe()
  }

  #subscribe(nc: NatsConnectionLike, subject: string, queue: string | undefined, onMessage: (msg: NatsMessageLike) => void): void {
    const subscription = nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return this.#logger().warn({ link: 'nats', wire: 'nest', subject, err }, 'subscription error')
        try {
          onMessage(msg)
        } catch (error) {
          this.#logger().error({ link: 'nats', wire: 'nest', subject, err: error }, 'a NATS message handler threw')
        }
      },
    })
    this.#subscriptions.push(subscription)
  }
}

function noop(): void {}
