import type { IncomingMessage } from 'node:http'
import type { HandshakeRateLimitOptions } from './handshake-rate-limiter.js'
import type { OriginPolicy } from './origin-policy.js'
import type { SessionExpiryOptions } from './session-expiry.js'

/** How upgrade requests are admitted: the upgrade layer's part of `createGateway`'s options. */
export interface UpgradeOptions {
  /** Allowed browser origins. @default 'same-origin' */
  origins?: OriginPolicy
  /** Accept upgrade requests that carry no `Origin` header (non-browser clients). @default true */
  allowMissingOrigin?: boolean
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
   * Upgrade requests one client address may start per second, across every
   * gateway of this app (a token bucket). Requests over it are answered
   * `429 Too Many Requests` with `Retry-After` before any connection guard runs.
   * Behind a proxy, set `clientAddress`. `false` disables it.
   * @default { perSecond: 100, burst: 1000 }
   */
  handshakeRateLimit?: HandshakeRateLimitOptions | false
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
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1000
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
