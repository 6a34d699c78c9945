import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { nanos, type NatsConnection } from '@nats-io/transport-node'
import { GatewayError, type ConsumeOptions, type Delivery, type Logger, type RequestInfo } from '../internal.js'
import type { ResolvedJetStreamOptions } from './nats-options.js'

/**
 * Requests on JetStream: a work-queue stream over `<prefix>.jrq.<pattern>`,
 * published with the request id as `Nats-Msg-Id` (stored once within the
 * duplicate window), consumed by one durable pull consumer per group and
 * pattern with explicit acks: an instance that dies mid-message has it
 * redelivered after `ackWaitMs`.
 */
export class NatsJetStreamQueues {
  readonly #stream: string
  readonly #options: ResolvedJetStreamOptions
  readonly #consumers: ConsumerMessages[] = []
  #js: JetStreamClient | undefined
  #jsm: JetStreamManager | undefined

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    options: ResolvedJetStreamOptions,
    private readonly logger: () => Logger,
  ) {
    this.#options = options
    this.#stream = options.stream
  }

  async ready(): Promise<void> {
    this.#jsm = await jetstreamManager(this.nc)
    this.#js = jetstream(this.nc)
    const config = {
      name: this.#stream,
      subjects: [`${this.prefix}.jrq.>`],
      retention: RetentionPolicy.Workqueue,
      storage: this.#options.storage === 'memory' ? StorageType.Memory : StorageType.File,
      duplicate_window: nanos(this.#options.duplicateWindowMs),
    }
    try {
      await this.#jsm.streams.info(this.#stream)
    } catch {
      await this.#jsm.streams.add(config).catch(async (err: unknown) => {
        // Another process created it meanwhile.
        await this.#jsm!.streams.info(this.#stream).catch(() => Promise.reject(err))
      })
    }
  }

  async publish(pattern: string, body: Buffer, info: RequestInfo): Promise<void> {
    try {
      // The first record's id names the message: JetStream stores a message published twice with one id once.
      const msgID = info.replyInbox === undefined ? info.correlationIds[0] : `${info.replyInbox}/${info.correlationIds[0]}`
      await this.#js!.publish(`${this.prefix}.jrq.${pattern}`, body, msgID === undefined ? undefined : { msgID })
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', 'JetStream did not store the request', { cause: err })
    }
  }

  async consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void> {
    const durable = `${options.group}_${pattern}`.replace(/[^A-Za-z0-9_-]/g, '_')
    const config = {
      durable_name: durable,
      filter_subject: `${this.prefix}.jrq.${pattern}`,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(this.#options.ackWaitMs),
      max_deliver: this.#options.maxDeliver,
      max_ack_pending: Math.max(options.prefetch * 64, 1000),
    }
    try {
      await this.#jsm!.consumers.info(this.#stream, durable)
      await this.#jsm!.consumers.update(this.#stream, durable, { ack_wait: config.ack_wait, max_deliver: config.max_deliver, max_ack_pending: config.max_ack_pending })
    } catch {
      await this.#jsm!.consumers.add(this.#stream, config)
    }
    const consumer = await this.#js!.consumers.get(this.#stream, durable)
    const messages = await consumer.consume({ max_messages: options.prefetch })
    this.#consumers.push(messages)
    void (async () => {
      for await (const message of messages) {
        let acked = false
        deliver({
          body: message.data,
          redelivered: message.redelivered,
          done: () => {
            if (acked) return
            acked = true
            message.ack()
          },
        })
      }
    })().catch((err: unknown) => this.logger().error({ link: 'nats', pattern, err }, 'the JetStream consumer stopped'))
  }

  async close(): Promise<void> {
    for (const messages of this.#consumers) await messages.close().catch(() => {})
  }
}
