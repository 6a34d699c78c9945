import { checkBoolean, checkNonNegativeInteger, checkOptionsObject, checkPositiveInteger, checkPrefix, invalidOption, withDefaults } from '../internal.js'

/** Options of a RabbitMQ broker connection. */
export interface AmqpConnectionOptions {
  /** AMQP heartbeat of a connection gangway opens, so a dead broker is noticed (0: none). @default 10 */
  heartbeatSeconds?: number
  /** How long the first connection may take before requests fail `UNAVAILABLE` (reconnection goes on). @default 5000 */
  connectTimeoutMs?: number
  /** Reconnect backoff of a connection gangway opens: first delay and cap, in ms (with jitter, forever). @default { initialDelayMs: 100, maxDelayMs: 5000 } */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number }
  /**
   * Bytes this process may still publish while RabbitMQ blocks the connection
   * (a memory or disk alarm): the broker reads none of them until it unblocks,
   * so they wait in this process's memory. Past it, replies and pushes are
   * dropped (counted in `stats.sendsRefused`; the requester gets `TIMEOUT`) and
   * requests answered `BUSY`, so an alarm of any length costs bounded memory.
   * @default 8388608 (8 MiB)
   */
  maxBlockedBytes?: number
}

/** Default of `maxBlockedBytes`. */
export const DEFAULT_MAX_BLOCKED_BYTES = 8 * 1024 * 1024

export interface ResolvedAmqpConnectionOptions {
  readonly heartbeatSeconds: number
  readonly connectTimeoutMs: number
  readonly reconnect: Readonly<{ initialDelayMs: number; maxDelayMs: number }>
  readonly maxBlockedBytes: number
}

/** The defaults of `AmqpConnectionOptions`. */
export const DEFAULT_AMQP_CONNECTION_OPTIONS: ResolvedAmqpConnectionOptions = Object.freeze({
  heartbeatSeconds: 10,
  connectTimeoutMs: 5000,
  reconnect: Object.freeze({ initialDelayMs: 100, maxDelayMs: 5000 }),
  maxBlockedBytes: DEFAULT_MAX_BLOCKED_BYTES,
})

/** Options of the RabbitMQ bridge link (`amqpTransport`, `AmqpLink`): its connection's and its topology's. */
export interface AmqpLinkOptions extends AmqpConnectionOptions {
  /** Prefix of every queue and exchange gangway declares. @default 'gangway' */
  prefix?: string
  /**
   * Publish requests that wait for a reply as persistent messages. Off by
   * default: such a request cannot outlive its requester's timeout, and after a
   * broker restart its reply inbox is gone, so writing it to disk only costs
   * latency (a persistent request is confirmed after the disk write); a worker
   * dying mid-message is covered by manual acks either way. @default false
   */
  persistRequests?: boolean
  /** Publish events (`emit`, frames without `id`) as persistent messages: nobody waits for them, so they must survive a broker restart. @default true */
  persistEvents?: boolean
  /** An inbox queue unused this long is deleted by the broker (a gateway node that died leaves nothing behind). @default 60000 */
  inboxExpiresMs?: number
  /**
   * Deletes a request queue after it has been unused this long (`x-expires`),
   * for short-lived patterns such as tests'. Every process using a pattern must
   * agree on it. @default undefined (request queues live until deleted)
   */
  requestQueueExpiresMs?: number
  /** Requests published and not yet confirmed, beyond which new ones are answered `BUSY`. @default 10000 */
  maxUnconfirmed?: number
}

export interface ResolvedAmqpLinkOptions extends ResolvedAmqpConnectionOptions {
  readonly prefix: string
  readonly persistRequests: boolean
  readonly persistEvents: boolean
  readonly inboxExpiresMs: number
  readonly requestQueueExpiresMs: number | undefined
  readonly maxUnconfirmed: number
}

/** The defaults of `AmqpLinkOptions`. */
export const DEFAULT_AMQP_LINK_OPTIONS: ResolvedAmqpLinkOptions = Object.freeze({
  ...DEFAULT_AMQP_CONNECTION_OPTIONS,
  prefix: 'gangway',
  persistRequests: false,
  persistEvents: true,
  inboxExpiresMs: 60_000,
  requestQueueExpiresMs: undefined,
  maxUnconfirmed: 10_000,
})

/** Applies the defaults, checks every option and returns a new frozen object; other fields of `options` are ignored. */
export function resolveAmqpLinkOptions(options: AmqpLinkOptions = {}): ResolvedAmqpLinkOptions {
  const resolved = withDefaults(DEFAULT_AMQP_LINK_OPTIONS, checkOptionsObject(options))
  checkNonNegativeInteger('heartbeatSeconds', resolved.heartbeatSeconds)
  checkPositiveInteger('connectTimeoutMs', resolved.connectTimeoutMs)
  checkNonNegativeInteger('maxBlockedBytes', resolved.maxBlockedBytes)
  if (resolved.reconnect === null || typeof resolved.reconnect !== 'object') invalidOption('reconnect', 'must be an object')
  const reconnect = Object.freeze(withDefaults(DEFAULT_AMQP_CONNECTION_OPTIONS.reconnect, resolved.reconnect))
  checkPositiveInteger('reconnect.initialDelayMs', reconnect.initialDelayMs)
  checkPositiveInteger('reconnect.maxDelayMs', reconnect.maxDelayMs)
  if (reconnect.maxDelayMs < reconnect.initialDelayMs) invalidOption('reconnect.maxDelayMs', 'must be at least reconnect.initialDelayMs')
  checkPrefix('prefix', resolved.prefix)
  checkBoolean('persistRequests', resolved.persistRequests)
  checkBoolean('persistEvents', resolved.persistEvents)
  checkPositiveInteger('inboxExpiresMs', resolved.inboxExpiresMs)
  if (resolved.requestQueueExpiresMs !== undefined) checkPositiveInteger('requestQueueExpiresMs', resolved.requestQueueExpiresMs)
  checkPositiveInteger('maxUnconfirmed', resolved.maxUnconfirmed)
  return Object.freeze({ ...resolved, reconnect })
}

/**
 * Options of the NestJS wire on RabbitMQ (`amqpTransport(url, { wire: 'nest', queue })`):
 * NestJS's `Transport.RMQ` server consumes one queue for every pattern, and its
 * clients reply through RabbitMQ's direct reply-to.
 */
export interface NestAmqpOptions {
  /** The queue the NestJS service consumes (its `options.queue`). Required with `wire: 'nest'`. */
  queue?: string
  /**
   * How the queue is declared, as in the NestJS service's `queueOptions` (amqplib's
   * `assertQueue` options; a mismatch makes RabbitMQ close the channel).
   * @default {} (amqplib's defaults: durable, as NestJS's)
   */
  queueOptions?: Readonly<Record<string, unknown>>
  /** Do not declare the queue (NestJS's `noAssert`): a request to a queue that does not exist is answered `UNAVAILABLE`. @default false */
  noAssert?: boolean
  /** Publish requests and events as persistent messages (NestJS's `persistent`). @default false */
  persistent?: boolean
  /**
   * Give each request its deadline as a per-message TTL, so RabbitMQ drops it if it is
   * still queued then. Off by default: a NestJS server consumes without acknowledgements
   * and without a prefetch limit, so requests do not wait in its queue while it runs, and a
   * TTL makes RabbitMQ decode every message's properties (the deadline always travels in
   * `x-deadline` and the metadata). Turn it on for a service that may be down for a while,
   * or that limits its prefetch. @default false
   */
  expireRequests?: boolean
}

export interface ResolvedNestAmqpOptions {
  readonly queue: string
  readonly queueOptions: Readonly<Record<string, unknown>>
  readonly noAssert: boolean
  readonly persistent: boolean
  readonly expireRequests: boolean
  readonly maxUnconfirmed: number
}

/** The defaults of `NestAmqpOptions` (there is no default queue: NestJS's `''` makes RabbitMQ name a new one). */
export const DEFAULT_NEST_AMQP_OPTIONS = Object.freeze({ queueOptions: Object.freeze({}), noAssert: false, persistent: false, expireRequests: false })

/** Checks the NestJS wire's options and returns a new frozen object; other fields of `options` are ignored. */
export function resolveNestAmqpOptions(options: NestAmqpOptions & { maxUnconfirmed?: number } = {}): ResolvedNestAmqpOptions {
  const resolved = withDefaults({ ...DEFAULT_NEST_AMQP_OPTIONS, queue: '', maxUnconfirmed: DEFAULT_AMQP_LINK_OPTIONS.maxUnconfirmed }, checkOptionsObject(options))
  if (typeof resolved.queue !== 'string' || resolved.queue.length === 0 || resolved.queue.length > 255) {
    invalidOption('queue', "must name the NestJS service's queue (1-255 characters) with wire: 'nest'")
  }
  if (resolved.queueOptions === null || typeof resolved.queueOptions !== 'object') invalidOption('queueOptions', 'must be an object')
  checkBoolean('noAssert', resolved.noAssert)
  checkBoolean('persistent', resolved.persistent)
  checkBoolean('expireRequests', resolved.expireRequests)
  checkPositiveInteger('maxUnconfirmed', resolved.maxUnconfirmed)
  return Object.freeze({ ...resolved, queueOptions: Object.freeze({ ...resolved.queueOptions }) })
}
