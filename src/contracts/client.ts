import type { Server } from './server.js'

/**
 * One connected socket, as handlers, hooks and guards see it: the
 * `@ConnectedSocket` of other frameworks. Every method is safe to call after
 * the connection closed (it does nothing then).
 */
export interface Client<User = unknown> {
  /** Unique across nodes (node id + counter) and never reused. */
  readonly id: string
  /** The principal returned by the connection guards, or `undefined`. */
  readonly user: User
  /** The id `server.toUser(id)` reaches this connection by, if the principal has one. */
  readonly userId: string | undefined
  /** The namespace whose registry holds this connection. */
  readonly namespace: string
  /** The path the connection upgraded on. */
  readonly path: string
  /** The peer address. */
  readonly remoteAddress: string | undefined
  /** The ambient context captured at upgrade (see the `context` option). */
  readonly context: unknown
  /** Rooms this connection is in. */
  readonly rooms: ReadonlySet<string>
  /** The push API of this connection's namespace. */
  readonly server: Server
  /** Whether the socket is open. */
  readonly isOpen: boolean
  /** Free-form per-connection state for the application. */
  readonly data: Record<string, unknown>
  /** Joins a room. Resolves once messages to the room reach this connection (across nodes, with a cluster adapter). */
  join(room: string): Promise<void>
  /** Leaves a room. */
  leave(room: string): Promise<void>
  /** Sends `{ event, data }` to this connection. Returns false if it is closed (nothing is sent). */
  emit(event: string, data?: unknown): boolean
  /** Closes the connection once what is queued for it is written. @default code 1000 */
  close(code?: number, reason?: string): void
}
