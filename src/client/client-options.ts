// Pure module: the client's browser bundle includes it, so no Node built-ins here.
import { GatewayError } from '../errors/gateway-error.js'
import { DEFAULT_RECONNECT, type ReconnectOptions, type ResolvedReconnectOptions } from './reconnect-policy.js'
import type { WebSocketConstructor } from './websocket-like.js'

/**
 * How `client.join(room)` / `client.leave(room)` talk to the gateway, and so what the
 * client re-sends after a reconnect. The defaults match a gateway that subscribes
 * `join` / `leave` with `{ room }` (like the demo's).
 */
export interface RoomProtocol {
  /** The event `client.join(room)` sends as a request. @default 'join' */
  joinEvent?: string
  /** The event `client.leave(room)` sends as a request. @default 'leave' */
  leaveEvent?: string
  /** Builds the `data` of both events from the room name. @default (room) => ({ room }) */
  data?: (room: string) => unknown
}

/**
 * Application-level liveness. Browsers cannot send WebSocket pings, and a server
 * that froze (a stopped process, a dead route) sends no close: without this, the
 * client would only notice when a request times out. When nothing has arrived
 * for `intervalMs`, the client sends a `$ping` request; when nothing at all
 * arrives within `timeoutMs` after it, the connection is given up (close code
 * 1006, reason "heartbeat timeout"), requests in flight reject `DISCONNECTED`,
 * and the client reconnects — to the next URL, when `url` is a function. A
 * server that stops answering is noticed within `intervalMs + timeoutMs`.
 */
export interface ClientHeartbeatOptions {
  /** Quiet time after which the client probes the connection. @default 10000 */
  intervalMs?: number
  /** How long the probe may go unanswered. @default 5000 */
  timeoutMs?: number
}

/** Options of `createClient`. */
export interface ClientOptions {
  /**
   * The `WebSocket` implementation. @default `ws` from the Node entry; the platform's
   * `WebSocket` in the browser build (picked by bundlers through the `browser` condition)
   */
  WebSocket?: WebSocketConstructor
  /**
   * Subprotocols offered besides `gangway.v1` (which is always offered first), e.g. a
   * token for a gateway that reads it from `Sec-WebSocket-Protocol`. A function is
   * called before every attempt. @default []
   */
  protocols?: readonly string[] | (() => readonly string[] | Promise<readonly string[]>)
  /**
   * Node only: HTTP headers of the upgrade request (e.g. `authorization`). Browsers
   * cannot set them; there use a query parameter, a cookie or `protocols`. @default {}
   */
  headers?: Readonly<Record<string, string>>
  /** Default limit for `request()`, counted from the call, time spent queued included. @default 10000 */
  requestTimeoutMs?: number
  /** A handshake not finished in this time is abandoned and retried. @default 10000 */
  connectTimeoutMs?: number
  /**
   * Requests and emits waiting for a connection (or for room in flight); past this,
   * `request()` rejects with `QUEUE_FULL` and `emit()` returns false. @default 1000
   */
  maxQueued?: number
  /** Requests sent and not yet answered; further requests wait in the queue. @default 1000 */
  maxInFlight?: number
  /** Reconnect with backoff and jitter, or `false` to close for good when the connection drops. @default DEFAULT_RECONNECT */
  reconnect?: ReconnectOptions | false
  /** The events behind `join` / `leave`. @default DEFAULT_ROOM_PROTOCOL */
  rooms?: RoomProtocol
  /** Probe an idle connection so a frozen server is noticed, or `false` to rely on requests timing out. @default DEFAULT_CLIENT_HEARTBEAT */
  heartbeat?: ClientHeartbeatOptions | false
}

/** {@link ClientOptions} with every default applied. Frozen. */
export interface ResolvedClientOptions {
  readonly WebSocket: WebSocketConstructor
  readonly protocols: readonly string[] | (() => readonly string[] | Promise<readonly string[]>)
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly maxQueued: number
  readonly maxInFlight: number
  readonly reconnect: ResolvedReconnectOptions | false
  readonly rooms: Readonly<Required<RoomProtocol>>
  readonly heartbeat: Readonly<Required<ClientHeartbeatOptions>> | false
}

/** The default limit of `request()`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
/** The default limit of one WebSocket handshake. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
/** The default bound of the queue of waiting requests. */
export const DEFAULT_MAX_QUEUED = 1000
/** The default bound of requests in flight. */
export const DEFAULT_MAX_IN_FLIGHT = 1000
/** The defaults of {@link ClientHeartbeatOptions}: a frozen server is noticed within 15 s. */
export const DEFAULT_CLIENT_HEARTBEAT: Readonly<Required<ClientHeartbeatOptions>> = Object.freeze({ intervalMs: 10_000, timeoutMs: 5_000 })
/** The defaults of {@link RoomProtocol}. */
export const DEFAULT_ROOM_PROTOCOL: Readonly<Required<RoomProtocol>> = Object.freeze({
  joinEvent: 'join',
  leaveEvent: 'leave',
  data: (room: string) => ({ room }),
})

/**
 * Applies defaults to `options`, checks them and returns a new frozen object.
 * `WebSocket` is the entry point's default implementation. Throws `CONFIG_INVALID`,
 * naming the option.
 */
export function resolveClientOptions(options: ClientOptions, WebSocket: WebSocketConstructor | undefined): ResolvedClientOptions {
  if (options === null || typeof options !== 'object') invalid('options', 'must be an object')
  const Impl = options.WebSocket ?? WebSocket
  if (typeof Impl !== 'function') {
    invalid('WebSocket', 'is required: this platform has no global WebSocket; pass a constructor (e.g. from the "ws" package)')
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT
  positiveInteger('requestTimeoutMs', requestTimeoutMs)
  positiveInteger('connectTimeoutMs', connectTimeoutMs)
  nonNegativeInteger('maxQueued', maxQueued)
  positiveInteger('maxInFlight', maxInFlight)

  const protocols = options.protocols ?? []
  if (typeof protocols !== 'function' && !(Array.isArray(protocols) && protocols.every((p) => typeof p === 'string'))) {
    invalid('protocols', 'must be an array of strings or a function returning one')
  }
  const headers = options.headers
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || Object.values(headers).some((v) => typeof v !== 'string')) {
      invalid('headers', 'must be an object of string values')
    }
    if (options.WebSocket !== undefined) invalid('headers', 'cannot be combined with "WebSocket": set the headers in your own constructor')
  }

  let reconnect: ResolvedReconnectOptions | false = false
  if (options.reconnect !== false) {
    const merged = { ...DEFAULT_RECONNECT, ...options.reconnect }
    positiveInteger('reconnect.initialDelayMs', merged.initialDelayMs)
    positiveInteger('reconnect.maxDelayMs', merged.maxDelayMs)
    if (merged.maxDelayMs < merged.initialDelayMs) invalid('reconnect.maxDelayMs', 'must be at least reconnect.initialDelayMs')
    if (typeof merged.factor !== 'number' || !(merged.factor >= 1) || !Number.isFinite(merged.factor)) invalid('reconnect.factor', 'must be a finite number >= 1')
    if (merged.maxAttempts !== Infinity) positiveInteger('reconnect.maxAttempts', merged.maxAttempts)
    nonNegativeInteger('reconnect.stableAfterMs', merged.stableAfterMs)
    if (typeof merged.shouldReconnect !== 'function') invalid('reconnect.shouldReconnect', 'must be a function')
    reconnect = Object.freeze(merged)
  }

  const rooms = Object.freeze({ ...DEFAULT_ROOM_PROTOCOL, ...options.rooms })
  nonEmptyString('rooms.joinEvent', rooms.joinEvent)
  nonEmptyString('rooms.leaveEvent', rooms.leaveEvent)
  if (typeof rooms.data !== 'function') invalid('rooms.data', 'must be a function (room) => data')

  const heartbeat = options.heartbeat === false ? false : Object.freeze({ ...DEFAULT_CLIENT_HEARTBEAT, ...options.heartbeat })
  if (heartbeat) {
    positiveInteger('heartbeat.intervalMs', heartbeat.intervalMs)
    positiveInteger('heartbeat.timeoutMs', heartbeat.timeoutMs)
  }

  return Object.freeze({
    WebSocket: Impl as WebSocketConstructor,
    protocols: typeof protocols === 'function' ? protocols : Object.freeze([...protocols]),
    headers: headers === undefined ? undefined : Object.freeze({ ...headers }),
    requestTimeoutMs,
    connectTimeoutMs,
    maxQueued,
    maxInFlight,
    reconnect,
    rooms,
    heartbeat,
  })
}

/** Largest delay `setTimeout` honours; longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

function invalid(option: string, problem: string): never {
  throw new GatewayError('CONFIG_INVALID', `Option "${option}" ${problem}`)
}

function positiveInteger(option: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_TIMER_MS) invalid(option, `must be an integer from 1 to ${MAX_TIMER_MS}, got ${String(value)}`)
}

function nonNegativeInteger(option: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_TIMER_MS) invalid(option, `must be an integer from 0 to ${MAX_TIMER_MS}, got ${String(value)}`)
}

function nonEmptyString(option: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) invalid(option, 'must be a non-empty string')
}
