// Pure module: the client's browser bundle includes it, so no Node built-ins here.
import { GatewayError } from '../errors/gateway-error.js'

/** The part of the WHATWG `WebSocket` the client uses. The browser's `WebSocket` and `ws`'s both fit. */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { readonly data: unknown }) => void) | null
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

/** A `WebSocket` constructor: `globalThis.WebSocket` in browsers, `ws` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

/** `WebSocket.OPEN`, the same for every implementation. */
export const OPEN = 1

/**
 * Where the client connects: a `ws:`/`wss:` URL (or `http:`/`https:`, mapped); in a
 * browser also a path such as `'/ws'`, resolved against the page. A function is
 * called before every connection attempt, so it can put a fresh token in the query.
 */
export type ClientUrl = string | URL | (() => string | URL | Promise<string | URL>)

/**
 * Resolves `url` to an absolute `ws:`/`wss:` URL, against `location` when there is one.
 * Throws `CONFIG_INVALID` for anything else.
 */
export function toWebSocketUrl(url: string | URL): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href
  let parsed: URL
  try {
    parsed = new URL(String(url), base)
  } catch {
    throw new GatewayError('CONFIG_INVALID', `Option "url" must be an absolute ws:// or wss:// URL${base ? ' or a path' : ''}, got ${JSON.stringify(String(url))}`)
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:'
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:'
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new GatewayError('CONFIG_INVALID', `Option "url" must use ws: or wss:, got ${JSON.stringify(parsed.protocol)}`)
  }
  parsed.hash = ''
  return parsed.href
}
