import type { Client } from '../connection/client.js'

/**
 * A set of target connections, built by chaining. Nothing is sent until `emit`;
 * the message is encoded once and the same bytes go to every target.
 */
export interface BroadcastOperator {
  /** Adds the members of one or more rooms to the targets. */
  to(room: string | readonly string[]): BroadcastOperator
  /** Adds every connection of one or more users to the targets. */
  toUser(userId: string | readonly string[]): BroadcastOperator
  /** Adds one or more connections, by id, to the targets. */
  toConnection(connectionId: string | readonly string[]): BroadcastOperator
  /** Excludes the members of rooms, or one client. */
  except(roomOrClient: string | readonly string[] | Client): BroadcastOperator
  /** Sends `{ event, data }` to every target once (to every connection when no target was added). */
  emit(event: string, data?: unknown): void
  /** Connection ids of the local targets. */
  localConnectionIds(): string[]
}

/**
 * A namespace's registry and push API: the `@WebSocketServer` of other
 * frameworks. Usable from any service, in or outside a handler.
 */
export interface Server extends BroadcastOperator {
  /** The namespace name. */
  readonly namespace: string
  /** Local connections in this namespace. */
  readonly size: number
  /** A local connection by id. */
  connection(connectionId: string): Client | undefined
  /** Local connections. */
  connections(): IterableIterator<Client>
  /** Local members of a room. */
  roomSize(room: string): number
  /** Closes every local connection of a user (a ban). Returns how many were closed. */
  disconnectUser(userId: string, code?: number, reason?: string): number
}
