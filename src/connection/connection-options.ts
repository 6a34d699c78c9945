/** How an outbox that is full is handled. */
export type OverflowPolicy = 'close' | 'drop'

/** Bounds on what is queued for one connection. */
export interface OutboxOptions {
  /** Bytes queued in gangway's outbox before the overflow policy applies. @default 1048576 (1 MiB) */
  maxBytes?: number
  /** Frames queued in gangway's outbox before the overflow policy applies. @default 4096 */
  maxFrames?: number
  /**
   * Bytes allowed in the socket's own write buffer before gangway stops writing
   * and keeps frames in the outbox until the socket drains. @default 262144 (256 KiB)
   */
  socketHighWaterMark?: number
  /**
   * `close`: close the connection with 1013 and free its outbox (the client
   * reconnects and resyncs). `drop`: drop the new frame and log it — only for
   * streams where a lost frame is acceptable. @default 'close'
   */
  onOverflow?: OverflowPolicy
}

/** A token bucket per connection. */
export interface RateLimitOptions {
  /** Sustained messages per second. @default 1000 */
  messagesPerSecond?: number
  /** Messages accepted in a burst. @default 2000 */
  burst?: number
  /** Rejected messages within one second after which the connection is closed with 1008. @default 200 */
  closeAfterRejectionsPerSecond?: number
}

/** Ping/pong liveness. */
export interface HeartbeatOptions {
  /** Interval between pings; a peer that has not answered the previous ping is terminated. @default 30000 */
  intervalMs?: number
}

/** How every connection is kept: the connection's part of `createGateway`'s options. */
export interface ConnectionOptions {
  /** Outbox bounds. */
  outbox?: OutboxOptions
  /** Per-connection rate limit, or `false` to disable. */
  rateLimit?: RateLimitOptions | false
  /** Ping/pong liveness, or `false` to disable. */
  heartbeat?: HeartbeatOptions | false
  /** How long a closing handshake may take before the socket is destroyed. @default 5000 */
  closeTimeoutMs?: number
}

export const DEFAULT_OUTBOX: Readonly<Required<OutboxOptions>> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxFrames: 4096,
  socketHighWaterMark: 256 * 1024,
  onOverflow: 'close',
})
export const DEFAULT_RATE_LIMIT: Readonly<Required<RateLimitOptions>> = Object.freeze({
  messagesPerSecond: 1000,
  burst: 2000,
  closeAfterRejectionsPerSecond: 200,
})
export const DEFAULT_HEARTBEAT: Readonly<Required<HeartbeatOptions>> = Object.freeze({ intervalMs: 30_000 })
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000

export type ResolvedOutboxOptions = Readonly<Required<OutboxOptions>>
export type ResolvedRateLimitOptions = Readonly<Required<RateLimitOptions>>
export type ResolvedHeartbeatOptions = Readonly<Required<HeartbeatOptions>>
