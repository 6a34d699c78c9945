import type { IncomingMessage } from 'node:http'
import { GatewayError } from '../errors/gateway-error.js'
import type { Adapter } from '../cluster/adapter.js'
import type { Transport } from '../bridge/transport.js'
import type { GatewayLike } from '../definition/gateway-definition.js'
import type { AnyMessageGuard, ConnectionGuard } from '../dispatch/guards.js'
import type { HandshakeContext } from '../transport/handshake-context.js'
import { jwtExpiry, type SessionExpiryOptions } from '../transport/session-expiry.js'
import { createConsoleLogger, defaultLogLevel, type Logger } from '../logging/logger.js'
import { combineObservers, type GatewayObserver } from '../observability/gateway-observer.js'

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

/** Limits applied to every frame a client sends. */
export interface LimitOptions {
  /** Largest frame accepted; larger frames close the connection with 1009. @default 1048576 (1 MiB) */
  maxPayload?: number
  /** Deepest JSON nesting accepted. @default 64 */
  maxDepth?: number
  /** Longest event name accepted. @default 128 */
  maxEventLength?: number
  /** Longest string request id accepted. @default 128 */
  maxIdLength?: number
  /**
   * Fragments one message may be split into; more close the connection with 1008.
   * Each buffered fragment costs the server ~250 bytes whatever its size, so this
   * bounds what 1-byte fragments can make a socket hold (browsers never fragment).
   * @default 128
   */
  maxFragments?: number
  /**
   * TCP chunks `ws` may buffer while a frame is incomplete; more close the
   * connection with 1008. Bounds what a peer trickling a frame one byte per
   * packet can make the server hold (CVE-2026-48779's other shape); a 1 MiB
   * frame needs ~20 chunks on a healthy network. @default 4096
   */
  maxBufferedChunks?: number
}

/**
 * Which browser origins may connect. `'same-origin'` accepts an `Origin` whose host
 * equals the request's `Host`; a list accepts exact matches (scheme, host and port);
 * a function decides. Requests without `Origin` (non-browser clients) pass unless
 * `allowMissingOrigin` is false.
 */
export type OriginPolicy = 'same-origin' | '*' | readonly string[] | ((origin: string, request: IncomingMessage) => boolean)

/** Options of `createGateway`. */
export interface GatewayAppOptions {
  /** Gateways to mount: instances of `@Gateway` classes or `defineGateway(...)` builders. */
  gateways: readonly GatewayLike[]
  /** This node's id, the prefix of every connection id. @default a random 8-character id */
  nodeId?: string
  /** A pino-compatible logger. @default JSON lines to stderr at `GANGWAY_LOG_LEVEL` or 'warn' */
  logger?: Logger
  /** Allowed browser origins. @default 'same-origin' */
  origins?: OriginPolicy
  /** Accept upgrade requests that carry no `Origin` header (non-browser clients). @default true */
  allowMissingOrigin?: boolean
  /** Connection guards run on every gateway's upgrade request, before the gateway's own. @default [] */
  connectionGuards?: readonly ConnectionGuard[]
  /** Per-message guards run before every handler, before the gateway's and the handler's. @default [] */
  messageGuards?: readonly AnyMessageGuard[]
  /** Frame limits. */
  limits?: LimitOptions
  /** Outbox bounds. */
  outbox?: OutboxOptions
  /** Per-connection rate limit, or `false` to disable. */
  rateLimit?: RateLimitOptions | false
  /** Ping/pong liveness, or `false` to disable. */
  heartbeat?: HeartbeatOptions | false
  /** Send `{ "event": "hello", "data": { protocol, connectionId, ... } }` on connect. @default false */
  hello?: boolean
  /**
   * Captures per-connection ambient state from the upgrade request. When set,
   * every dispatch runs inside AsyncLocalStorage and `currentContext()` returns
   * this value anywhere below a handler. (Off by default: on Node 20, enabling
   * AsyncLocalStorage slows every promise in the process.)
   */
  context?: (handshake: HandshakeContext) => unknown
  /** Derives the user id used by `server.toUser(id)` from the principal. @default `user.id ?? user.sub`, or the principal itself when it is a string */
  userId?: (user: unknown) => string | undefined
  /** How long `close()` waits for in-flight handlers before closing sockets. @default 10000 */
  shutdownTimeoutMs?: number
  /** How long a closing handshake may take before the socket is destroyed. @default 5000 */
  closeTimeoutMs?: number
  /** Answer upgrade requests for unmounted paths with 404 (when no other `upgrade` listener exists). @default true */
  rejectUnknownPaths?: boolean
  /** How long connection guards may take before the upgrade is refused with 503. @default 10000 */
  handshakeTimeoutMs?: number
  /**
   * Sockets one client address may hold at once — upgrade requests in progress
   * and open connections — across every gateway of this app. Requests over the
   * limit are answered `429 Too Many Requests` before any upgrade; other
   * addresses are unaffected. Behind a reverse proxy every client shares the
   * proxy's address: set `clientAddress`, or raise the limit. `false` disables it.
   * @default 1000
   */
  maxConnectionsPerAddress?: number | false
  /**
   * The client address of an upgrade request, used by `maxConnectionsPerAddress`,
   * `handshake.ip` and `client.remoteAddress`. Behind a proxy you trust, read the
   * address it forwards (never trust `X-Forwarded-For` from the open internet).
   * @default the TCP peer address (`request.socket.remoteAddress`)
   */
  clientAddress?: (request: IncomingMessage) => string | undefined
  /**
   * How long a client may take to send the headers of a request to the HTTP
   * server `listen()` creates; slower (slow-loris) requests are answered 408 and
   * dropped. Applies only to that server: on a server you `attach()` to, set
   * `headersTimeout`, `requestTimeout` and `connectionsCheckingInterval` yourself.
   * @default 10000
   */
  headersTimeoutMs?: number
  /**
   * Credential expiry: when the principal a connection guard returned expires,
   * and what happens then (see `SessionExpiryOptions`). `false` disables it.
   * @default { expiresAt: the principal's JWT `exp` claim, onExpiry: 'close' }
   */
  sessionExpiry?: SessionExpiryOptions | false
  /** The cluster adapter shared by every namespace. @default in-memory (this process only) */
  adapter?: Adapter
  /** Metrics and tracing hooks (see `GatewayObserver`). @default [] */
  observers?: readonly GatewayObserver[]
  /**
   * The microservice bridge's broker connection, used by `forward()` handlers
   * and for pushes from services (`gangway-ws/amqp`, `gangway-ws/nats`,
   * `gangway-ws/redis`). The app opens its node's inbox on it; `close()` detaches
   * but leaves the transport open for its owner to close.
   * @default an in-process transport, created only when a gateway forwards
   */
  transport?: Transport
}

export const DEFAULT_MAX_PAYLOAD = 1024 * 1024
export const DEFAULT_LIMITS: Readonly<Required<LimitOptions>> = Object.freeze({
  maxPayload: DEFAULT_MAX_PAYLOAD,
  maxDepth: 64,
  maxEventLength: 128,
  maxIdLength: 128,
  maxFragments: 128,
  maxBufferedChunks: 4096,
})
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
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1000
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
export const DEFAULT_SESSION_EXPIRY: Readonly<Required<SessionExpiryOptions>> = Object.freeze({ expiresAt: jwtExpiry, onExpiry: 'close' })

/** Options after defaults are applied; frozen. */
export interface ResolvedOptions {
  readonly gateways: readonly GatewayLike[]
  readonly nodeId: string | undefined
  readonly logger: Logger
  readonly origins: OriginPolicy
  readonly allowMissingOrigin: boolean
  readonly connectionGuards: readonly ConnectionGuard[]
  readonly messageGuards: readonly AnyMessageGuard[]
  readonly limits: Readonly<Required<LimitOptions>>
  readonly outbox: Readonly<Required<OutboxOptions>>
  readonly rateLimit: Readonly<Required<RateLimitOptions>> | false
  readonly heartbeat: Readonly<Required<HeartbeatOptions>> | false
  readonly hello: boolean
  readonly context: ((handshake: HandshakeContext) => unknown) | undefined
  readonly userId: (user: unknown) => string | undefined
  readonly shutdownTimeoutMs: number
  readonly closeTimeoutMs: number
  readonly rejectUnknownPaths: boolean
  readonly handshakeTimeoutMs: number
  readonly maxConnectionsPerAddress: number | false
  readonly clientAddress: (request: IncomingMessage) => string | undefined
  readonly headersTimeoutMs: number
  readonly sessionExpiry: Readonly<Required<SessionExpiryOptions>> | false
  readonly adapter: Adapter | undefined
  readonly transport: Transport | undefined
  /** All observers combined into one, or undefined when there are none. */
  readonly observer: GatewayObserver | undefined
}

/** Applies defaults, checks every option, and returns a new frozen object. Never mutates `options`. */
export function resolveOptions(options: GatewayAppOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') invalid('options', 'must be an object')
  if (!Array.isArray(options.gateways)) invalid('gateways', 'must be an array of gateways')
  const limits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits })
  const outbox = Object.freeze({ ...DEFAULT_OUTBOX, ...options.outbox })
  const rateLimit = options.rateLimit === false ? false : Object.freeze({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit })
  const heartbeat = options.heartbeat === false ? false : Object.freeze({ ...DEFAULT_HEARTBEAT, ...options.heartbeat })

  positiveInteger('limits.maxPayload', limits.maxPayload)
  positiveInteger('limits.maxDepth', limits.maxDepth)
  positiveInteger('limits.maxEventLength', limits.maxEventLength)
  positiveInteger('limits.maxIdLength', limits.maxIdLength)
  positiveInteger('limits.maxFragments', limits.maxFragments)
  positiveInteger('limits.maxBufferedChunks', limits.maxBufferedChunks)
  positiveInteger('outbox.maxBytes', outbox.maxBytes)
  positiveInteger('outbox.maxFrames', outbox.maxFrames)
  positiveInteger('outbox.socketHighWaterMark', outbox.socketHighWaterMark)
  if (outbox.onOverflow !== 'close' && outbox.onOverflow !== 'drop') invalid('outbox.onOverflow', "must be 'close' or 'drop'")
  if (rateLimit) {
    positiveNumber('rateLimit.messagesPerSecond', rateLimit.messagesPerSecond)
    positiveNumber('rateLimit.burst', rateLimit.burst)
    positiveInteger('rateLimit.closeAfterRejectionsPerSecond', rateLimit.closeAfterRejectionsPerSecond)
    if (rateLimit.burst < 1) invalid('rateLimit.burst', 'must be at least 1')
  }
  if (heartbeat) positiveInteger('heartbeat.intervalMs', heartbeat.intervalMs)
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
  const maxConnectionsPerAddress = options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
  if (maxConnectionsPerAddress !== false) positiveInteger('maxConnectionsPerAddress', maxConnectionsPerAddress)
  if (options.clientAddress !== undefined && typeof options.clientAddress !== 'function') invalid('clientAddress', 'must be a function')
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS
  positiveInteger('headersTimeoutMs', headersTimeoutMs)
  const sessionExpiry = options.sessionExpiry === false ? false : Object.freeze({ ...DEFAULT_SESSION_EXPIRY, ...options.sessionExpiry })
  if (sessionExpiry) {
    if (typeof sessionExpiry.expiresAt !== 'function') invalid('sessionExpiry.expiresAt', 'must be a function')
    if (sessionExpiry.onExpiry !== 'close' && sessionExpiry.onExpiry !== 'reject') invalid('sessionExpiry.onExpiry', "must be 'close' or 'reject'")
  }
  nonNegativeInteger('shutdownTimeoutMs', shutdownTimeoutMs)
  positiveInteger('closeTimeoutMs', closeTimeoutMs)
  positiveInteger('handshakeTimeoutMs', handshakeTimeoutMs)
  if (options.observers !== undefined && (!Array.isArray(options.observers) || options.observers.some((o) => typeof o !== 'object' || o === null))) {
    invalid('observers', 'must be an array of observer objects')
  }
  const origins = options.origins ?? 'same-origin'
  if (!(origins === 'same-origin' || origins === '*' || typeof origins === 'function' || isStringArray(origins))) {
    invalid('origins', "must be 'same-origin', '*', an array of origins or a function")
  }
  if (options.transport !== undefined && typeof (options.transport as Partial<Transport> | null)?.attachNode !== 'function') {
    invalid('transport', 'must be a Transport (amqpTransport(), natsTransport(), redisTransport() or inProcessTransport())')
  }
  if (options.nodeId !== undefined && !/^[A-Za-z0-9_.]{1,64}$/.test(options.nodeId)) {
    invalid('nodeId', 'must be 1-64 characters of letters, digits, "_" or "."')
  }
  for (const [name, list] of [['connectionGuards', options.connectionGuards], ['messageGuards', options.messageGuards]] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.some((g) => typeof g !== 'function'))) {
      invalid(name, 'must be an array of functions')
    }
  }

  return Object.freeze({
    gateways: Object.freeze([...options.gateways]),
    nodeId: options.nodeId,
    logger: options.logger ?? createConsoleLogger(defaultLogLevel()),
    origins: typeof origins === 'object' ? Object.freeze([...origins]) : origins,
    allowMissingOrigin: options.allowMissingOrigin ?? true,
    connectionGuards: Object.freeze([...(options.connectionGuards ?? [])]),
    messageGuards: Object.freeze([...(options.messageGuards ?? [])]),
    limits,
    outbox,
    rateLimit,
    heartbeat,
    hello: options.hello ?? false,
    context: options.context,
    userId: options.userId ?? defaultUserId,
    shutdownTimeoutMs,
    closeTimeoutMs,
    rejectUnknownPaths: options.rejectUnknownPaths ?? true,
    handshakeTimeoutMs,
    maxConnectionsPerAddress,
    clientAddress: options.clientAddress ?? peerAddress,
    headersTimeoutMs,
    sessionExpiry,
    adapter: options.adapter,
    transport: options.transport,
    observer: combineObservers(options.observers ?? []),
  })
}

/** `user.id ?? user.sub` as a string, or the principal itself when it is a string. */
export function defaultUserId(user: unknown): string | undefined {
  if (typeof user === 'string') return user
  if (typeof user === 'number') return String(user)
  if (typeof user !== 'object' || user === null) return undefined
  const { id, sub } = user as { id?: unknown; sub?: unknown }
  const value = id ?? sub
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

/** The TCP peer address of a request. */
export function peerAddress(request: IncomingMessage): string | undefined {
  return request.socket.remoteAddress
}

function invalid(option: string, problem: string): never {
  throw new GatewayError('CONFIG_INVALID', `Option "${option}" ${problem}`)
}

function positiveInteger(option: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) invalid(option, `must be a positive integer, got ${String(value)}`)
}

function nonNegativeInteger(option: string, value: unknown): void {
  if (!Number.isSafeInteger(value) || (value as number) < 0) invalid(option, `must be a non-negative integer, got ${String(value)}`)
}

function positiveNumber(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalid(option, `must be a positive number, got ${String(value)}`)
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}
