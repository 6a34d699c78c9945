import { GatewayError } from '../errors/gateway-error.js'
import type { BrokerLink, ConsumeOptions, Delivery } from './broker-link.js'
import { Transport, type TransportOptions } from './transport.js'

/** Messages a pattern's queue holds with no consumer able to take them; more are refused `BUSY`. */
export const IN_PROCESS_QUEUE_LIMIT = 10_000

interface Consumer {
  readonly link: InProcessLink
  readonly deliver: (delivery: Delivery) => void
  readonly prefetch: number
  unacked: number
}

interface QueuedMessage {
  readonly body: Uint8Array
  redelivered: boolean
}

interface PatternQueue {
  readonly name: string
  readonly messages: QueuedMessage[]
  readonly consumers: Consumer[]
  next: number
}

/**
 * A broker in memory, for one process: work queues with competing consumers,
 * prefetch and acknowledgements (a consumer that closes with messages
 * unacknowledged has them redelivered to the others), inboxes and a broadcast.
 * Every delivery happens on a later microtask, never inside the send.
 */
export class InProcessBroker {
  readonly #queues = new Map<string, PatternQueue>()
  readonly #inboxes = new Map<string, (body: Uint8Array) => void>()
  readonly #broadcast = new Set<(body: Uint8Array) => void>()
  readonly #services = new Set<(body: Uint8Array) => void>()

  /** Messages waiting in a pattern's queue (not yet delivered). */
  queued(pattern: string): number {
    return this.#queues.get(pattern)?.messages.length ?? 0
  }

  enqueue(pattern: string, body: Uint8Array): void {
    const queue = this.#queue(pattern)
    if (queue.messages.length >= IN_PROCESS_QUEUE_LIMIT) throw new GatewayError('BUSY', `The in-process queue of "${pattern}" is full`)
    queue.messages.push({ body, redelivered: false })
    queueMicrotask(() => this.#pump(queue))
  }

  addConsumer(pattern: string, consumer: Consumer): void {
    const queue = this.#queue(pattern)
    queue.consumers.push(consumer)
    queueMicrotask(() => this.#pump(queue))
  }

  /** Removes a link's consumers; the messages they had not acknowledged go back to the queue. */
  removeLink(link: InProcessLink, unacked: ReadonlyMap<string, QueuedMessage[]>): void {
    for (const [pattern, queue] of this.#queues) {
      const before = queue.consumers.length
      for (let i = queue.consumers.length - 1; i >= 0; i--) if (queue.consumers[i]!.link === link) queue.consumers.splice(i, 1)
      const returned = unacked.get(pattern) ?? []
      for (const message of returned) message.redelivered = true
      queue.messages.unshift(...returned)
      if (before !== queue.consumers.length || returned.length > 0) queueMicrotask(() => this.#pump(queue))
    }
    for (const [id, receive] of this.#inboxes) if (link.owns(receive)) this.#inboxes.delete(id)
    for (const receive of this.#broadcast) if (link.owns(receive)) this.#broadcast.delete(receive)
    for (const receive of this.#services) if (link.owns(receive)) this.#services.delete(receive)
  }

  setInbox(id: string, receive: (body: Uint8Array) => void): void {
    this.#inboxes.set(id, receive)
  }

  deleteInbox(id: string): void {
    this.#inboxes.delete(id)
  }

  toInbox(id: string, body: Uint8Array): void {
    const receive = this.#inboxes.get(id)
    if (receive) queueMicrotask(() => receive(body))
  }

  addBroadcast(receive: (body: Uint8Array) => void): void {
    this.#broadcast.add(receive)
  }

  broadcast(body: Uint8Array): void {
    for (const receive of this.#broadcast) queueMicrotask(() => receive(body))
  }

  addServiceBroadcast(receive: (body: Uint8Array) => void): void {
    this.#services.add(receive)
  }

  broadcastToServices(body: Uint8Array): void {
    for (const receive of this.#services) queueMicrotask(() => receive(body))
  }

  /** Called by a consumer's `done()`. */
  acked(pattern: string): void {
    const queue = this.#queues.get(pattern)
    if (queue) queueMicrotask(() => this.#pump(queue))
  }

  #queue(pattern: string): PatternQueue {
    let queue = this.#queues.get(pattern)
    if (!queue) this.#queues.set(pattern, (queue = { name: pattern, messages: [], consumers: [], next: 0 }))
    return queue
  }

  #pump(queue: PatternQueue): void {
    while (queue.messages.length > 0) {
      const consumer = this.#nextConsumer(queue)
      if (!consumer) return
      const message = queue.messages.shift()!
      consumer.unacked++
      consumer.link.track(consumer, message, queue)
    }
  }

  /** Round robin over consumers with room under their prefetch. */
  #nextConsumer(queue: PatternQueue): Consumer | undefined {
    const { consumers } = queue
    for (let i = 0; i < consumers.length; i++) {
      const consumer = consumers[(queue.next + i) % consumers.length]!
      if (consumer.unacked < consumer.prefetch) {
        queue.next = (queue.next + i + 1) % consumers.length
        return consumer
      }
    }
    return undefined
  }
}

let defaultBroker: InProcessBroker | undefined

/** The broker every `inProcessTransport()` without a `broker` option shares in this process. */
export function defaultInProcessBroker(): InProcessBroker {
  return (defaultBroker ??= new InProcessBroker())
}

/** One process's link to an in-process broker. */
export class InProcessLink implements BrokerLink {
  readonly kind = 'in-process'
  readonly guarantee = 'at-least-once' as const
  readonly batchRequests = true
  readonly #broker: InProcessBroker
  readonly #receivers = new Set<(body: Uint8Array) => void>()
  readonly #unacked = new Map<string, QueuedMessage[]>()
  #closed = false

  constructor(broker: InProcessBroker) {
    this.#broker = broker
  }

  unavailable(): 'UNAVAILABLE' | undefined {
    return this.#closed ? 'UNAVAILABLE' : undefined
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new GatewayError('UNAVAILABLE', 'The in-process transport is closed')
  }

  async openInbox(id: string, receive: (body: Uint8Array) => void): Promise<void> {
    this.#receivers.add(receive)
    this.#broker.setInbox(id, receive)
  }

  async closeInbox(id: string): Promise<void> {
    this.#broker.deleteInbox(id)
  }

  async openBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    this.#receivers.add(receive)
    this.#broker.addBroadcast(receive)
  }

  async openServiceBroadcast(receive: (body: Uint8Array) => void): Promise<void> {
    this.#receivers.add(receive)
    this.#broker.addServiceBroadcast(receive)
  }

  async broadcastToServices(body: Buffer): Promise<void> {
    this.#broker.broadcastToServices(body)
  }

  async sendRequest(pattern: string, body: Buffer): Promise<void> {
    await this.connect()
    this.#broker.enqueue(pattern, body)
  }

  async sendToInbox(id: string, body: Buffer): Promise<void> {
    this.#broker.toInbox(id, body)
  }

  async broadcast(body: Buffer): Promise<void> {
    this.#broker.broadcast(body)
  }

  async consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    await this.connect()
    this.#broker.addConsumer(pattern, { link: this, deliver, prefetch: options.prefetch, unacked: 0 })
  }

  /** Hands a message to one of this link's consumers and keeps it until acknowledged. */
  track(consumer: Consumer, message: QueuedMessage, queue: PatternQueue): void {
    const pattern = queue.name
    let list = this.#unacked.get(pattern)
    if (!list) this.#unacked.set(pattern, (list = []))
    list.push(message)
    let settled = false
    consumer.deliver({
      body: message.body,
      redelivered: message.redelivered,
      done: () => {
        if (settled || this.#closed) return
        settled = true
        consumer.unacked--
        const index = list.indexOf(message)
        if (index !== -1) list.splice(index, 1)
        this.#broker.acked(pattern)
      },
    })
  }

  owns(receive: (body: Uint8Array) => void): boolean {
    return this.#receivers.has(receive)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#broker.removeLink(this, this.#unacked)
    this.#unacked.clear()
  }
}

/** Options of `inProcessTransport`. */
export interface InProcessTransportOptions extends TransportOptions {
  /** The broker to join; transports on one broker talk to each other. @default the process-wide in-process broker */
  broker?: InProcessBroker
}

/**
 * A transport whose broker is memory: gateways and services in one process,
 * nothing to install. The default when a gateway forwards without a
 * `transport` option. At-least-once within the process: a service that closes
 * with messages unacknowledged has them redelivered to another instance.
 *
 * @example
 * const transport = inProcessTransport()
 * createMicroservice({ transport }).handle('demo.ask', (data) => ({ answer: data }))
 * createGateway({ gateways: [chat], transport })
 */
export function inProcessTransport(options: InProcessTransportOptions = {}): Transport {
  const { broker = defaultInProcessBroker(), ...rest } = options
  return new Transport(new InProcessLink(broker), rest)
}
