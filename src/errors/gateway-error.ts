import { errorCodeInfo, isWellFormedCode, type WireErrorCode } from './error-codes.js'

/** Options shared by gangway's error classes. */
export interface GatewayErrorOptions {
  /** The underlying error, kept for logs and never sent to clients. */
  cause?: unknown
  /** HTTP status when the error rejects an upgrade. Defaults to the registry's. */
  status?: number
  /** WebSocket close code when the error ends a connection. Defaults to the registry's. */
  closeCode?: number
}

/**
 * The base of every error gangway raises. It carries a stable `code` from the
 * registry (see `ERROR_CODES`) and, where it applies, an HTTP status and a close code.
 */
export class GatewayError extends Error {
  override readonly name: string = 'GatewayError'
  readonly code: WireErrorCode
  readonly status: number | undefined
  readonly closeCode: number | undefined

  constructor(code: WireErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    const info = errorCodeInfo(code)
    this.status = options.status ?? info?.status
    this.closeCode = options.closeCode ?? info?.closeCode
  }
}

/**
 * An error whose code and message are safe to show to clients. Throw it from a
 * handler or guard and it reaches the wire as is:
 * `{ "event": ..., "id": ..., "error": { "code", "message" } }`.
 *
 * @example
 * throw new WsError('NOT_A_MEMBER', 'Join the room before posting to it')
 */
export class WsError extends GatewayError {
  override readonly name = 'WsError'

  constructor(code: WireErrorCode, message: string, options: GatewayErrorOptions = {}) {
    if (!isWellFormedCode(code)) {
      throw new GatewayError('INVALID_ARGUMENT', `WsError code must be UPPER_SNAKE_CASE, got ${JSON.stringify(code)}`)
    }
    super(code, message, options)
  }
}

/** Whether `value` is an error gangway may put on the wire as is. */
export function isWireSafe(value: unknown): value is WsError {
  return value instanceof WsError
}
