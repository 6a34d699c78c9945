import type { ConnectionGuard } from '../contracts/guards.js'
import type { HandshakeContext } from '../contracts/handshake.js'
import { errorCodeInfo } from '../errors/error-codes.js'
import { GatewayError, isWireSafe } from '../errors/gateway-error.js'
import { loggableError, type Logger } from '../logging/logger.js'

/**
 * Runs the connection guards of an upgrade request in order and resolves the
 * verdict: 0 to accept, or the HTTP status to refuse with. A guard's principal
 * is stored on `handshake.user` for the next guard. Guards that take longer
 * than `timeoutMs` (an auth service that hangs) are answered 503. Never rejects.
 */
export function runConnectionGuards(
  guards: readonly ConnectionGuard[],
  handshake: HandshakeContext & { user: unknown },
  timeoutMs: number,
  logger: Logger,
): Promise<number> {
  if (guards.length === 0) return Promise.resolve(0)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      logger.warn({ path: handshake.path, remoteAddress: handshake.ip }, 'connection guards timed out')
      resolve(503)
    }, timeoutMs)
  })
  return Promise.race([admit(guards, handshake, logger), timeout]).finally(() => clearTimeout(timer))
}

async function admit(guards: readonly ConnectionGuard[], handshake: HandshakeContext & { user: unknown }, logger: Logger): Promise<number> {
  for (const guard of guards) {
    let verdict: unknown
    try {
      verdict = await guard(handshake)
    } catch (err) {
      if (isWireSafe(err) || (err instanceof GatewayError && err.status !== undefined)) {
        const status = (err as GatewayError).status ?? errorCodeInfo(err.code)?.status ?? 403
        logger.info({ path: handshake.path, code: err.code, remoteAddress: handshake.ip }, 'upgrade rejected by a connection guard')
        return status >= 400 && status < 600 ? status : 403
      }
      logger.error({ path: handshake.path, remoteAddress: handshake.ip, err: loggableError(err) }, 'connection guard failed')
      return 500
    }
    if (verdict === true) continue
    if (verdict === false) return 403
    if (verdict === undefined || verdict === null) return 401
    handshake.user = verdict
  }
  return 0
}
