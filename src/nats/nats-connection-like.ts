import type { MsgHdrs } from '@nats-io/transport-node'

/**
 * The part of a `NatsConnection` (`@nats-io/transport-node`) gangway uses.
 * Pass your own connection to `natsCluster` or `natsTransport` and gangway
 * adds its subscriptions to it, removes them when it closes, and never closes
 * the connection itself.
 */
export interface NatsConnectionLike {
  publish(subject: string, payload?: Uint8Array, options?: { reply?: string; headers?: MsgHdrs }): void
  subscribe(subject: string, options?: { queue?: string; callback?: (err: Error | null, msg: NatsMessageLike) => void }): NatsSubscriptionLike
  flush(): Promise<void>
  status(): AsyncIterable<{ readonly type: string }>
  isClosed(): boolean
  reconnect(): Promise<void>
  drain(): Promise<void>
  close(): Promise<void>
}

/** A message as gangway reads it. */
export interface NatsMessageLike {
  readonly subject: string
  readonly data: Uint8Array
  /** The reply subject of a request (NestJS's wire). */
  readonly reply?: string
  /** Status of a "no responders" message (`code` 503), and headers (`x-deadline` on NestJS's wire). */
  readonly headers?: { readonly code: number; get?(key: string): string }
  /** Answers a request on its reply subject (NestJS's wire). */
  respond?(payload?: Uint8Array): boolean
}

/** A subscription, as gangway uses it. */
export interface NatsSubscriptionLike {
  unsubscribe(): void
}
