import type { Duplex } from 'node:stream'
import type { Client } from '../contracts/client-server.js'
import type { MessageGuard } from '../contracts/guards.js'
import { WsError } from '../errors/gateway-error.js'
import type { Logger } from '../logging/logger.js'

/** What happens to a connection once its credentials expire. */
export type ExpiryPolicy = 'close' | 'reject'

/** When a connection's credentials stop being valid, and what gangway does then. */
export interface SessionExpiryOptions {
  /**
   * The instant the principal's credentials expire (ms since the epoch, or a
   * `Date`), or `undefined` for never. Read after the connection guards pass,
   * and read again when that instant comes, so a handler that refreshes the
   * principal (sets a later `exp`) extends the session.
   * @default the principal's JWT `exp` claim (seconds since the epoch) when it is a number
   */
  expiresAt?: (user: unknown) => number | Date | undefined
  /**
   * `'close'`: at expiry the connection is closed with 4401 "Session expired"
   * (pushes stop too; the client reconnects with fresh credentials).
   * `'reject'`: the socket stays open and every message after expiry is
   * answered `UNAUTHORIZED` (for clients that refresh credentials in-band).
   * In both modes a message that arrives after the instant is never handled.
   * @default 'close'
   */
  onExpiry?: ExpiryPolicy
}

export const DEFAULT_SESSION_EXPIRY: Readonly<Required<SessionExpiryOptions>> = Object.freeze({ expiresAt: jwtExpiry, onExpiry: 'close' })

/** The close code of a connection whose credentials expired (the WebSocket twin of HTTP 401). */
export const SESSION_EXPIRED_CLOSE_CODE = 4401

// setTimeout fires at once for delays over 2^31 - 1 ms (~24.8 days): wait in steps.
const MAX_TIMER_MS = 2 ** 31 - 1

/** `user.exp` (JWT, seconds) as milliseconds, when it is a finite number. */
export function jwtExpiry(user: unknown): number | undefined {
  if (typeof user !== 'object' || user === null) return undefined
  const exp = (user as { exp?: unknown }).exp
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined
}

/** Closable connection, as the expiry watcher needs it. */
interface Expirable extends Client {
  close(code?: number, reason?: string): void
}

/**
 * Enforces credential expiry on one gateway's connections: refused at the
 * handshake when already expired, a per-message guard afterwards, and (policy
 * `'close'`) a timer that closes the connection at the instant.
 */
export class SessionExpiry {
  readonly #expiresAt: (user: unknown) => number | Date | undefined
  readonly #policy: ExpiryPolicy
  readonly #logger: Logger
  readonly #deadlines = new WeakMap<Client, number>()

  constructor(options: Readonly<Required<SessionExpiryOptions>>, logger: Logger) {
    this.#expiresAt = options.expiresAt
    this.#policy = options.onExpiry
    this.#logger = logger
  }

  /** The deadline of a principal in ms, or undefined for none. A throwing reader counts as expired. */
  deadlineOf(user: unknown): number | undefined {
    let value: number | Date | undefined
    try {
      value = this.#expiresAt(user)
    } catch {
      return 0
    }
    const ms = value instanceof Date ? value.getTime() : value
    if (ms === undefined || ms === null) return undefined
    return typeof ms === 'number' && !Number.isNaN(ms) ? ms : 0
  }

  /** Starts watching an accepted connection with the deadline read at the handshake. */
  watch(client: Expirable, socket: Duplex, deadline: number | undefined): void {
    if (deadline === undefined) return
    this.#deadlines.set(client, deadline)
    if (this.#policy !== 'close') return
    let timer: NodeJS.Timeout | undefined
    const arm = (at: number) => {
      timer = setTimeout(check, Math.max(0, Math.min(at - Date.now(), MAX_TIMER_MS)))
      timer.unref()
    }
    const check = () => {
      const at = this.#current(client)
      if (at === undefined) return
      if (Date.now() < at) return arm(at)
      this.#logger.info({ connectionId: client.id, userId: client.userId }, 'credentials expired; closing with 4401')
      client.close(SESSION_EXPIRED_CLOSE_CODE, 'Session expired')
    }
    socket.once('close', () => clearTimeout(timer))
    arm(deadline)
  }

  /** A message guard answering `UNAUTHORIZED` once the connection's deadline has passed. */
  readonly guard: MessageGuard = ({ client }) => {
    const deadline = this.#deadlines.get(client)
    if (deadline === undefined || Date.now() < deadline) return true
    const current = this.#current(client)
    if (current === undefined || Date.now() < current) return true
    throw new WsError('UNAUTHORIZED', 'Session expired')
  }

  /** Re-reads the deadline (the principal may have been refreshed) and remembers it. */
  #current(client: Client): number | undefined {
    const deadline = this.deadlineOf(client.user)
    if (deadline === undefined) this.#deadlines.delete(client)
    else this.#deadlines.set(client, deadline)
    return deadline
  }
}
