import type { Client } from './client-server.js'
import type { RequestId } from '../protocol/envelope.js'
import type { HandshakeContext } from './handshake.js'

/**
 * Runs on the upgrade request, before any WebSocket exists. Its result decides
 * the handshake:
 * - an object, string or number: the principal, available as `client.user`;
 * - `true`: pass without setting a principal;
 * - `undefined` or `null`: no credentials, answered `401 Unauthorized`;
 * - `false`: answered `403 Forbidden`;
 * - throwing `WsError('UNAUTHORIZED' | 'FORBIDDEN', ...)`: 401 / 403; any other
 *   thrown error: 500, logged.
 */
export type ConnectionGuard = (handshake: HandshakeContext) => unknown

/** What a per-message guard sees. */
export interface MessageGuardContext<User = unknown> {
  readonly event: string
  readonly data: unknown
  readonly id: RequestId | undefined
  readonly client: Client<User>
}

/**
 * Runs before a handler, each time its event arrives. It must return `true` (or
 * a promise of `true`) to let the message through; anything else answers
 * `FORBIDDEN`. Throwing a `WsError` answers that error instead.
 */
export type MessageGuard<User = unknown> = (context: MessageGuardContext<User>) => boolean | Promise<boolean>

/**
 * A message guard written for any principal type, as guard lists accept it:
 * `MessageGuard<{ id: string }>` fits where a `MessageGuard<unknown>` would not.
 * The principal type is the guard author's claim, as with `client.user`: the
 * connection guards produce it at run time.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMessageGuard = MessageGuard<any>
