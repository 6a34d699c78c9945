/**
 * The part of a `NatsConnection` (`@nats-io/transport-node`) gangway uses.
 * Pass your own connection to `natsCluster` or `natsTransport` and gangway
 * adds its subscriptions to it, removes them when it closes, and never closes
 * the connection itself.
 */
export interface NatsConnectionLike {
  publish(subject: string, payload?: Uint8Array, options?: { reply?: string }): void
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
  /** Set by the server on a "no responders" status message (`code` 503). */
  readonly headers?: { readonly code: number }
}

/** A subscription, as gangway uses it. */
export interface NatsSubscriptionLike {
  unsubscribe(): void
}
