import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

/** What connection guards and the `context` capture see of an upgrade request. */
export interface HandshakeContext {
  /** The raw request; gangway never logs it (it carries tokens and cookies). */
  readonly request: IncomingMessage
  readonly headers: IncomingHttpHeaders
  /** The request path, without the query string. */
  readonly path: string
  /** Query parameters. Tokens in the query string end up in proxy logs: prefer a header, cookie or subprotocol. */
  readonly query: URLSearchParams
  /** Cookies from the `Cookie` header, parsed on first access. */
  readonly cookies: Readonly<Record<string, string>>
  /** Subprotocols the client offered in `Sec-WebSocket-Protocol`. */
  readonly protocols: readonly string[]
  /** The client address (the `clientAddress` option; by default the TCP peer address). */
  readonly ip: string | undefined
  /** The `Origin` header, if any. */
  readonly origin: string | undefined
  /** The principal established by earlier connection guards, if any. */
  readonly user: unknown
  /** The gateway being connected to. */
  readonly gateway: { readonly path: string; readonly namespace: string }
}
