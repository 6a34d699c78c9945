import type { Channel, ConfirmChannel } from 'amqplib'

/**
 * A RabbitMQ connection you already have, as gangway uses it: an amqplib
 * `ChannelModel` (`await amqp.connect(url)`) or a recovering one
 * (`await amqp.connect(url, { recovery })`, amqplib 2.1 or later). gangway
 * creates its own channels on it, declares its queues and consumers again
 * each time a recovering connection emits `connect`, closes only its own
 * channels, and never closes the connection. A connection that does not
 * recover is not reconnected by gangway: once it closes, the transport
 * reports `disconnected`.
 */
export interface AmqpConnectionLike {
  createChannel(): Promise<Channel>
  createConfirmChannel(): Promise<ConfirmChannel>
  /** A plain connection: closed (for good). */
  on(event: 'close', listener: (err?: Error) => void): unknown
  /** A recovering connection: (re)connected. */
  on(event: 'connect', listener: (model: AmqpChannelSource) => void): unknown
  /** A recovering connection: lost (`disconnect`) or given up (`reconnect-failed`); either kind: an error. */
  on(event: 'disconnect' | 'reconnect-failed' | 'error', listener: (err: Error) => void): unknown
  /** RabbitMQ stopped reading this connection (a resource alarm), and started again. */
  on(event: 'blocked', listener: (reason: string) => void): unknown
  on(event: 'unblocked', listener: () => void): unknown
  /** Present on a recovering connection: resolves once it was first connected. */
  waitForConnect?(): Promise<unknown>
}

/** Where channels come from: a connection, or the model of one (re)connect. */
export interface AmqpChannelSource {
  createChannel(): Promise<Channel>
  createConfirmChannel(): Promise<ConfirmChannel>
}
