import type { NatsConnection } from '@nats-io/transport-node'
import { GatewayError, type BrokerLink, type BrokerState, type ConsumeOptions, type Delivery, type Logger, type RequestInfo } from '../internal.js'
import { NatsBrokerConnection } from './nats-broker-connection.js'
import type { NatsConnectionLike, NatsMessageLike, NatsSubscriptionLike } from './nats-connection-like.js'
// Loaded only with `jetstream`, so core-NATS users need not install @nats-io/jetstream.
import type { NatsJetStreamQueues } from './nats-jetstream-queues.js'
import { resolveNatsLinkOptions, type NatsLinkOptions, type ResolvedNatsLinkOptions } from './nats-options.js'

/**
 * NATS for the bridge. Requests are published with a reply subject under
 * the requester's single wildcard inbox subscription (`<prefix>.inbox.<id>.>`)
 * — no subscription and no error object per request — so a service missing
 * altogether is answered at once by the server's "no responders" status.
 * Core NATS by default (queue groups, at-most-once); JetStream when asked.
 * Reconnects forever (`maxReconnectAttempts: -1`); subscriptions are renewed
 * by the client itself. If the server cannot be reached at the first connect,
 * the link keeps trying in the background (requests answer `UNAVAILABLE`
 * meanwhile), so a process started before its NATS server needs no restart.
 */
export class NatsLink implements BrokerLink {
  readonly kind = 'nats'
  readonly guarantee: 'at-least-once' | 'at-most-once'
  readonly batchRequests = true
  readonly #options: ResolvedNatsLinkOptions
  readonly #connection: NatsBrokerConnection
  readonly #logger: () => Logger
  readonly #subscriptions = new Map<string, NatsSubscriptionLike>()
  #queues: NatsJetStreamQueues | undefined
  #closed = false
  /** Reply tokens of recent request batches → their correlation ids, to fail them all on "no responders". */
  readonly #batches = new Map<string, readonly string[]>()
  #nextBatch = 0

  /** @param connection a `nats://` URL, several (an array), or a `NatsConnection` of your own (never closed by the link) */
  constructor(connection: string | readonly string[] | NatsConnectionLike, options: NatsLinkOptions, logger: () => Logger) {
    this.#options = resolveNatsLinkOptions(options)
    this.#connection = new NatsBrokerConnection(connection, this.#options, { name: 'bridge', echo: true, setup: (nc) => this.#setup(nc) }, logger)
    this.#logger = logger
    this.guarantee = this.#options.jetstream ? 'at-least-once' : 'at-most-once'
  }

  /** The broker connection the link is built on (the NestJS wire shares it). */
  get connection(): NatsBrokerConnection {
    return this.#connection
  }

  unavailable(): 'UNAVAILABLE' | undefined {
    return this.#closed || this.#connection.down ? 'UNAVAILABLE' : undefined
  }

  watchState(listener: (state: BrokerState) => void): void {
    this.#connection.state.watch(listener)
  }

  async connect(): Promise<void> {
    await this.#nc()
  }

  async openInbox(id: string, receive: (body: Uint8Array) => void): Promise<void> {
    const nc = await this.#nc()
    const prefix = `${this.#options.prefix}.inbox.${id}.`
    this.#subscribe(`inbox:${id}`, nc, `${prefix}>`, undefined, (msg) => {
      if (msg.data.byteLength === 0 && msg.headers?.code === 503) {
        // "No responders": nobody subscribes to the pattern. The last token names the request or its batch.
        const token = msg.subject.slice(prefix.length)
        const correlations = token.startsWith('_b') ? (this.#batches.get(token) ?? []) : [token]
        this.#batches.delete(token)
        receive(Buffer.from(JSON.stringify(correlations.map((c) => ({ t: 'e', c, e: { code: 'UNAVAILABLE', message: 'The service is unavailable', reason: 'no-service' } })))))
        return
      }
      receive(msg.data)
    })
    await nc.flush()
  }

  async closeInbox(id: string): Promise<void> {
    this.#subscriptions.get(`inbox:${id}`)?.unsubscribe()
    this.#subscriptions.delete(`inbox:${id}`)
  }

  async openBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    const nc = await this.#nc()
    this.#subscribe(`broadcast:${this.#subscriptions.size}`, nc, `${this.#options.prefix}.nodes`, undefined, (msg) => receive(msg.data))
    await nc.flush()
  }

  async openServiceBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    const nc = await this.#nc()
    this.#subscribe('services', nc, `${this.#options.prefix}.services`, undefined, (msg) => receive(msg.data))
    await nc.flush()
  }

  async broadcastToServices(body: Buffer): Promise<void> {
    const nc = await this.#nc()
    nc.publish(`${this.#options.prefix}.services`, body)
  }

  async sendRequest(pattern: string, body: Buffer, info: RequestInfo): Promise<void> {
    const nc = await this.#nc()
    if (this.#queues) return this.#queues.publish(pattern, body, info)
    let reply: string | undefined
    if (info.replyInbox !== undefined) {
      // One reply subject per broker message, under the inbox's wildcard subscription: correlation ids
      // never contain "_", so a batch's token cannot collide with one.
      let token = info.correlationIds[0]!
      if (info.correlationIds.length > 1) {
        token = `_b${(this.#nextBatch++).toString(36)}`
        this.#batches.set(token, info.correlationIds)
        // "No responders" comes back within a round trip; older entries are of no more use.
        if (this.#batches.size > 4096) this.#batches.delete(this.#batches.keys().next().value!)
      }
      reply = `${this.#options.prefix}.inbox.${info.replyInbox}.${token}`
    }
    try {
      nc.publish(`${this.#options.prefix}.rq.${pattern}`, body, reply === undefined ? undefined : { reply })
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', 'NATS did not take the request', { cause: err })
    }
  }

  async sendToInbox(id: string, body: Buffer): Promise<void> {
    const nc = await this.#nc()
    nc.publish(`${this.#options.prefix}.inbox.${id}._`, body)
  }

  async broadcast(body: Buffer): Promise<void> {
    const nc = await this.#nc()
    nc.publish(`${this.#options.prefix}.nodes`, body)
  }

  async consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    const nc = await this.#nc()
    if (this.#queues) return this.#queues.consume(pattern, deliver, options)
    // Core NATS has no acknowledgement: a message is gone once delivered.
    this.#subscribe(`consume:${pattern}`, nc, `${this.#options.prefix}.rq.${pattern}`, options.group, (msg) => deliver({ body: msg.data, redelivered: false, done: noop }))
    await nc.flush()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#queues?.close()
    // A connection gangway opened is drained (which removes its subscriptions); yours keeps running without ours.
    if (this.#connection.given) for (const sub of this.#subscriptions.values()) sub.unsubscribe()
    await this.#connection.close()
  }

  async #nc(): Promise<NatsConnectionLike> {
    if (this.#closed) throw new GatewayError('UNAVAILABLE', 'The NATS transport is closed')
    return this.#connection.open()
  }

  /** Runs once the connection is open, before it counts as connected: the JetStream stream, when asked for. */
  async #setup(nc: NatsConnectionLike): Promise<void> {
    if (!this.#options.jetstream) return
    const { NatsJetStreamQueues } = await import('./nats-jetstream-queues.js')
    // A NatsConnectionLike is a NatsConnection at run time; JetStream needs the whole client.
    const queues = new NatsJetStreamQueues(nc as NatsConnection, this.#options.prefix, this.#options.jetstream, this.#logger)
    await queues.ready()
    this.#queues = queues
  }

  #subscribe(key: string, nc: NatsConnectionLike, subject: string, queue: string | undefined, onMessage: (msg: NatsMessageLike) => void): void {
    if (this.#subscriptions.has(key)) return
    const sub = nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return this.#logger().warn({ link: 'nats', subject, err }, 'subscription error')
        try {
          onMessage(msg)
        } catch (error) {
          this.#logger().error({ link: 'nats', subject, err: error }, 'a NATS message handler threw')
        }
      },
    })
    this.#subscriptions.set(key, sub)
  }
}

function noop(): void {}
