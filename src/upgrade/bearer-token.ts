import type { HandshakeContext } from '../contracts/handshake.js'

/** Where `bearerToken` looks for a token, in this order. */
export interface BearerTokenSources {
  /** A header carrying `Bearer <token>`, or `false` to skip headers. @default 'authorization' */
  header?: string | false
  /** A cookie whose value is the token (an `HttpOnly` session cookie, say). @default none */
  cookie?: string
  /**
   * A `Sec-WebSocket-Protocol` entry `<prefix><token>`: the way browsers, which
   * cannot set headers on a WebSocket, send a token. The client offers it next
   * to `gangway.v1` (`new WebSocket(url, ['gangway.v1', 'bearer.' + token])`);
   * gangway echoes `gangway.v1`, never the token. `false` to skip.
   * @default 'bearer.'
   */
  protocolPrefix?: string | false
  /**
   * A query parameter. Discouraged: URLs end up in proxy and access logs and in
   * browser history. gangway itself never logs the query string. @default none
   */
  query?: string
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i

/**
 * The bearer token of an upgrade request, for connection guards: from the
 * `Authorization` header, then a named cookie, then a subprotocol entry, then
 * (only when asked) a query parameter. Returns `undefined` when none is there.
 * It never logs anything; keep tokens out of your own logs too.
 *
 * @example
 * const auth: ConnectionGuard = async (handshake) => {
 *   const token = bearerToken(handshake, { cookie: 'session' })
 *   return token === undefined ? null : await verify(token) // null → 401
 * }
 */
export function bearerToken(handshake: HandshakeContext, sources: BearerTokenSources = {}): string | undefined {
  const header = sources.header ?? 'authorization'
  if (header !== false) {
    const value = handshake.headers[header.toLowerCase()]
    const match = typeof value === 'string' ? BEARER.exec(value) : null
    if (match) return match[1]
  }
  if (sources.cookie !== undefined) {
    const value = handshake.cookies[sources.cookie]
    if (value) return value
  }
  const prefix = sources.protocolPrefix ?? 'bearer.'
  if (prefix !== false) {
    for (const protocol of handshake.protocols) {
      if (protocol.length > prefix.length && protocol.startsWith(prefix)) return protocol.slice(prefix.length)
    }
  }
  if (sources.query !== undefined) {
    const value = handshake.query.get(sources.query)
    if (value) return value
  }
  return undefined
}
