/**
 * The one registry of gangway's error codes. Callers branch on `code`, never on
 * message text. `docs/errors.md` documents every code here; a test keeps the two
 * in step.
 */
export interface ErrorCodeInfo {
  /** What the code means, as documented. */
  readonly description: string
  /** Whether the code is sent to clients in error frames. */
  readonly wire: boolean
  /** The HTTP status used when the code rejects an upgrade request. */
  readonly status?: number
  /** The WebSocket close code used when the code ends a connection. */
  readonly closeCode?: number
}

export const ERROR_CODES = {
  BAD_FRAME: {
    description: 'The frame is not JSON, not a text frame, or not an envelope `{ event, data, id? }`.',
    wire: true,
  },
  UNKNOWN_EVENT: { description: 'No handler is subscribed to the event.', wire: true },
  INVALID_PAYLOAD: {
    description: "The event's schema rejected `data`; the message names the field.",
    wire: true,
  },
  FORBIDDEN: {
    description: 'A guard said no: a per-message guard (error frame) or a connection guard (HTTP 403).',
    wire: true,
    status: 403,
  },
  UNAUTHORIZED: {
    description:
      "No valid credentials: a connection guard found none (HTTP 401 before the upgrade), or the connection's credentials expired (error frame, or close 4401 \"Session expired\").",
    wire: true,
    status: 401,
    closeCode: 4401,
  },
  RATE_LIMITED: {
    description: "The connection exceeded its message rate; sustained abuse closes it with 1008.",
    wire: true,
    closeCode: 1008,
  },
  INTERNAL: {
    description: 'A handler failed unexpectedly. The wire says only "Internal error"; the log has the details.',
    wire: true,
    closeCode: 1011,
  },
  TIMEOUT: { description: 'The operation did not complete in time.', wire: true },
  CANCELLED: {
    description:
      'The client cancelled the request (a `$cancel` frame, an aborted `signal` in `gangway-ws/client`), or its connection closed while a service was working on it; the gateway answers at once and discards a late reply.',
    wire: true,
  },
  UNAVAILABLE: {
    description: 'The gateway or a service behind it cannot take the message now (draining, broker down).',
    wire: true,
    status: 503,
    closeCode: 1001,
  },
  BUSY: {
    description: 'A service behind the gateway is saturated (too many requests in flight, or the broker is applying flow control); retry later.',
    wire: true,
    status: 503,
  },
  ORIGIN_NOT_ALLOWED: {
    description: 'The upgrade request came from an Origin outside the allowlist (HTTP 403).',
    wire: false,
    status: 403,
  },
  TOO_MANY_CONNECTIONS: {
    description: 'The client address already holds `maxConnectionsPerAddress` sockets (HTTP 429 with `Retry-After`, before the upgrade).',
    wire: false,
    status: 429,
  },
  TOO_MANY_HANDSHAKES: {
    description: 'The client address started more upgrade requests than `handshakeRateLimit` allows (HTTP 429 with `Retry-After`, before any connection guard runs).',
    wire: false,
    status: 429,
  },
  NOT_FOUND: {
    description: 'No gateway is mounted at the upgrade request path (HTTP 404).',
    wire: false,
    status: 404,
  },
  OUTBOX_OVERFLOW: {
    description: 'The client stopped reading and its outbox filled up; the connection is closed with 1013.',
    wire: false,
    closeCode: 1013,
  },
  CONFIG_INVALID: {
    description: 'Options or gateway definitions are inconsistent; thrown at construction, naming the option.',
    wire: false,
  },
  INVALID_ARGUMENT: { description: 'A gangway API was called with an argument of the wrong shape.', wire: false },
  CLOSED: {
    description: 'The app, connection or client is closed. A client rejects requests it never sent with this code.',
    wire: false,
  },
  DISCONNECTED: {
    description:
      'Client side: the connection dropped while the request was in flight, so the server may or may not have handled it. The client reconnects by itself.',
    wire: false,
  },
  HISTORY_OFF: { description: '`server.history(room)` was asked for a room without history (no `history.rooms` rule or per-join `history` matches it).', wire: false },
  HISTORY_UNAVAILABLE: {
    description: "The history store (Redis, JetStream) could not be reached to read or append a room's messages.",
    wire: false,
  },
  HISTORY_GONE: {
    description: '`server.history(room, { since })` named another epoch, or messages after it were trimmed or expired: the range cannot be given whole.',
    wire: false,
  },
  QUEUE_FULL: {
    description: "Client side: the client's bounded queue of requests waiting to be sent is full; the request was not sent.",
    wire: false,
  },
} as const satisfies Record<string, ErrorCodeInfo>

/** A code from gangway's registry. */
export type GatewayErrorCode = keyof typeof ERROR_CODES

/** Codes a user's `WsError` may carry: the registry's or their own `UPPER_SNAKE` code. */
export type WireErrorCode = GatewayErrorCode | (string & {})

const CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/

/** Whether `code` is well formed for the wire (`UPPER_SNAKE`, at most 64 characters). */
export function isWellFormedCode(code: unknown): code is string {
  return typeof code === 'string' && CODE_PATTERN.test(code)
}

/** The registry entry for a code, or `undefined` for a user-defined code. */
export function errorCodeInfo(code: string): ErrorCodeInfo | undefined {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as GatewayErrorCode] : undefined
}
