import type { IncomingMessage } from 'node:http'
import { checkNonNegativeInteger, checkPositiveInteger, checkPositiveNumber, invalidOption, withoutUndefined } from '../errors/option-checks.js'
import type { Adapter } from '../registry/namespace-adapter.js'
import type { Transport } from '../bridge/transport.js'
import type { GatewayLike } from '../definition/gateway-definition.js'
import type { AnyMessageGuard, ConnectionGuard } from '../contracts/guards.js'
import type { HandshakeContext } from '../contracts/handshake.js'
import {
  type ConnectionOptions,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT,
  DEFAULT_OUTBOX,
  DEFAULT_RATE_LIMIT,
  type ResolvedHeartbeatOptions,
  type ResolvedOutboxOptions,
  type ResolvedRateLimitOptions,
} from '../connection/connection-options.js'
import { DEFAULT_LIMITS, type LimitOptions, type ResolvedLimitOptions } from '../protocol/limit-options.js'
import { DEFAULT_HANDSHAKE_RATE_LIMIT, type HandshakeRateLimitOptions } from '../upgrade/handshake-rate-limiter.js'
import type { OriginPolicy } from '../upgrade/origin-policy.js'
import { DEFAULT_SESSION_EXPIRY, type SessionExpiryOptions } from '../upgrade/session-expiry.js'
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  type UpgradeOptions,
} from '../upgrade/upgrade-options.js'
import { createConsoleLogger, defaultLogLevel, type Logger } from '../logging/logger.js'
import { combineObservers, type GatewayObserver } from '../observability/gateway-observer.js'
import { type HistoryOptions, resolveHistoryOptions, type ResolvedHistoryOptions } from '../history/history-options.js'

/** Options of `createGateway`. */
export interface GatewayAppOptions extends UpgradeOptions, ConnectionOptions {
  /** Gateways to mount: instances of `@Gateway` classes or `defineGateway(...)` builders. */
  gateways: readonly GatewayLike[]
  /** This node's id, the prefix of every connection id. @default a random 8-character id */
  nodeId?: string
  /** A pino-compatible logger. @default JSON lines to stderr at `GANGWAY_LOG_LEVEL` or 'warn' */
  logger?: Logger
  /** Connection guards run on every gateway's upgrade request, before the gateway's own. @default [] */
  connectionGuards?: readonly ConnectionGuard[]
  /** Per-message guards run before every handler, before the gateway's and the handler's. @default [] */
  messageGuards?: readonly AnyMessageGuard[]
  /** Frame limits. */
  limits?: LimitOptions
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
  /**
   * Message history and recovery for chosen rooms: offsets and epochs on their messages, replay
   * of what a reconnecting client missed, `server.history(room)`. See docs/history.md.
   * @default none (no room has history; nothing changes)
   */
  history?: HistoryOptions
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000

/** Options after defaults are applied; frozen. */
export interface ResolvedOptions {
  readonly gateways: readonly GatewayLike[]
  readonly nodeId: string | undefined
  readonly logger: Logger
  readonly origins: OriginPolicy
  readonly allowMissingOrigin: boolean
  readonly connectionGuards: readonly ConnectionGuard[]
  readonly messageGuards: readonly AnyMessageGuard[]
  readonly limits: ResolvedLimitOptions
  readonly outbox: ResolvedOutboxOptions
  readonly rateLimit: ResolvedRateLimitOptions | false
  readonly heartbeat: ResolvedHeartbeatOptions | false
  readonly hello: boolean
  readonly context: ((handshake: HandshakeContext) => unknown) | undefined
  readonly userId: (user: unknown) => string | undefined
  readonly shutdownTimeoutMs: number
  readonly closeTimeoutMs: number
  readonly rejectUnknownPaths: boolean
  readonly handshakeTimeoutMs: number
  readonly maxConnectionsPerAddress: number | false
  readonly handshakeRateLimit: Readonly<Required<HandshakeRateLimitOptions>> | false
  readonly clientAddress: (request: IncomingMessage) => string | undefined
  readonly headersTimeoutMs: number
  readonly sessionExpiry: Readonly<Required<SessionExpiryOptions>> | false
  readonly adapter: Adapter | undefined
  readonly transport: Transport | undefined
  readonly history: ResolvedHistoryOptions | undefined
  /** All observers combined into one, or undefined when there are none. */
  readonly observer: GatewayObserver | undefined
}

/** Applies defaults, checks every option, and returns a new frozen object. Never mutates `options`. */
export function resolveOptions(options: GatewayAppOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') invalidOption('options', 'must be an object')
  if (!Array.isArray(options.gateways)) invalidOption('gateways', 'must be an array of gateways')
  const limits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits })
  const outbox = Object.freeze({ ...DEFAULT_OUTBOX, ...options.outbox })
  const rateLimit = options.rateLimit === false ? false : Object.freeze({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit })
  const heartbeat = options.heartbeat === false ? false : Object.freeze({ ...DEFAULT_HEARTBEAT, ...options.heartbeat })

  checkPositiveInteger('limits.maxPayload', limits.maxPayload)
  checkPositiveInteger('limits.maxDepth', limits.maxDepth)
  checkPositiveInteger('limits.maxEventLength', limits.maxEventLength)
  checkPositiveInteger('limits.maxIdLength', limits.maxIdLength)
  checkPositiveInteger('limits.maxFragments', limits.maxFragments)
  checkPositiveInteger('limits.maxBufferedChunks', limits.maxBufferedChunks)
  checkPositiveInteger('outbox.maxBytes', outbox.maxBytes)
  checkPositiveInteger('outbox.maxFrames', outbox.maxFrames)
  checkPositiveInteger('outbox.socketHighWaterMark', outbox.socketHighWaterMark)
  if (outbox.onOverflow !== 'close' && outbox.onOverflow !== 'drop') invalidOption('outbox.onOverflow', "must be 'close' or 'drop'")
  if (rateLimit) {
    checkPositiveNumber('rateLimit.messagesPerSecond', rateLimit.messagesPerSecond)
    checkPositiveNumber('rateLimit.burst', rateLimit.burst)
    checkPositiveInteger('rateLimit.closeAfterRejectionsPerSecond', rateLimit.closeAfterRejectionsPerSecond)
    if (rateLimit.burst < 1) invalidOption('rateLimit.burst', 'must be at least 1')
  }
  if (heartbeat) checkPositiveInteger('heartbeat.intervalMs', heartbeat.intervalMs)
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
  const maxConnectionsPerAddress = options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
  if (maxConnectionsPerAddress !== false) checkPositiveInteger('maxConnectionsPerAddress', maxConnectionsPerAddress)
  const handshakeRateLimit = options.handshakeRateLimit === false ? false : Object.freeze({ ...DEFAULT_HANDSHAKE_RATE_LIMIT, ...withoutUndefined(options.handshakeRateLimit ?? {}) })
  if (handshakeRateLimit) {
    checkPositiveNumber('handshakeRateLimit.perSecond', handshakeRateLimit.perSecond)
    checkPositiveInteger('handshakeRateLimit.burst', handshakeRateLimit.burst)
  }
  if (options.clientAddress !== undefined && typeof options.clientAddress !== 'function') invalidOption('clientAddress', 'must be a function')
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS
  checkPositiveInteger('headersTimeoutMs', headersTimeoutMs)
  const sessionExpiry = options.sessionExpiry === false ? false : Object.freeze({ ...DEFAULT_SESSION_EXPIRY, ...options.sessionExpiry })
  if (sessionExpiry) {
    if (typeof sessionExpiry.expiresAt !== 'function') invalidOption('sessionExpiry.expiresAt', 'must be a function')
    if (sessionExpiry.onExpiry !== 'close' && sessionExpiry.onExpiry !== 'reject') invalidOption('sessionExpiry.onExpiry', "must be 'close' or 'reject'")
  }
  checkNonNegativeInteger('shutdownTimeoutMs', shutdownTimeoutMs)
  checkPositiveInteger('closeTimeoutMs', closeTimeoutMs)
  checkPositiveInteger('handshakeTimeoutMs', handshakeTimeoutMs)
  if (options.observers !== undefined && (!Array.isArray(options.observers) || options.observers.some((o) => typeof o !== 'object' || o === null))) {
    invalidOption('observers', 'must be an array of observer objects')
  }
  const origins = options.origins ?? 'same-origin'
  if (!(origins === 'same-origin' || origins === '*' || typeof origins === 'function' || isStringArray(origins))) {
    invalidOption('origins', "must be 'same-origin', '*', an array of origins or a function")
  }
  if (options.transport !== undefined && typeof (options.transport as Partial<Transport> | null)?.attachNode !== 'function') {
    invalidOption('transport', 'must be a Transport (amqpTransport(), natsTransport(), redisTransport() or inProcessTransport())')
  }
  if (options.nodeId !== undefined && !/^[A-Za-z0-9_.]{1,64}$/.test(options.nodeId)) {
    invalidOption('nodeId', 'must be 1-64 characters of letters, digits, "_" or "."')
  }
  for (const [name, list] of [['connectionGuards', options.connectionGuards], ['messageGuards', options.messageGuards]] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.some((g) => typeof g !== 'function'))) {
      invalidOption(name, 'must be an array of functions')
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
    handshakeRateLimit,
    clientAddress: options.clientAddress ?? peerAddress,
    headersTimeoutMs,
    sessionExpiry,
    adapter: options.adapter,
    transport: options.transport,
    history: options.history === undefined ? undefined : resolveHistoryOptions(options.history),
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

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}
