import type { IncomingMessage } from 'node:http'
import type { HandshakeContext } from '../contracts/handshake.js'

/** Builds the context for one request; query, cookies and protocols are parsed lazily. */
export function createHandshakeContext(
  request: IncomingMessage,
  path: string,
  rawQuery: string,
  gateway: { readonly path: string; readonly namespace: string },
  ip: string | undefined = request.socket.remoteAddress,
): HandshakeContext & { user: unknown } {
  let query: URLSearchParams | undefined
  let cookies: Record<string, string> | undefined
  let protocols: readonly string[] | undefined
  return {
    request,
    headers: request.headers,
    path,
    get query() {
      return (query ??= new URLSearchParams(rawQuery))
    },
    get cookies() {
      return (cookies ??= parseCookies(request.headers.cookie))
    },
    get protocols() {
      return (protocols ??= parseProtocols(request.headers['sec-websocket-protocol']))
    },
    ip,
    origin: request.headers.origin,
    user: undefined,
    gateway,
  }
}

/** Parses a `Cookie` header into a null-prototype record; malformed pairs are skipped. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  if (!header) return out
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) continue
    const name = pair.slice(0, eq).trim()
    if (!name || name in out) continue
    let value = pair.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
    try {
      out[name] = decodeURIComponent(value)
    } catch {
      out[name] = value
    }
  }
  return out
}

/** Splits `Sec-WebSocket-Protocol` without a regular expression (CVE-2021-32640 was a ReDoS there). */
export function parseProtocols(header: string | undefined): readonly string[] {
  if (!header) return []
  const out: string[] = []
  for (const part of header.split(',')) {
    const token = part.trim()
    if (token) out.push(token)
  }
  return out
}
