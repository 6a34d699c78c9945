import type { TextFrame } from '../protocol/text-frame.js'

/**
 * The connections a broadcast targets. Empty `rooms`, `users` and
 * `connections` mean every connection of the namespace; the `except` lists
 * are subtracted from the union.
 */
export interface BroadcastTarget {
  readonly rooms: readonly string[]
  readonly users: readonly string[]
  readonly connections: readonly string[]
  readonly exceptRooms: readonly string[]
  readonly exceptConnections: readonly string[]
}

/** What an adapter may use of a namespace on this node. */
export interface LocalNamespace {
  readonly name: string
  readonly nodeId: string
  /** Writes a pre-framed message to every matching local connection; returns how many. */
  deliverLocal(target: BroadcastTarget, frame: TextFrame): number
  /** Whether a room has local members. */
  hasLocalRoom(room: string): boolean
  /** Whether a user has local connections. */
  hasLocalUser(userId: string): boolean
}

/**
 * Delivers broadcasts for one namespace. The in-memory adapter delivers
 * locally; a cluster adapter also forwards to the other nodes.
 */
export interface NamespaceAdapter {
  /** Delivers `frame` to every target connection, once each. */
  broadcast(target: BroadcastTarget, frame: TextFrame): void
  /** A room gained its first local member. Resolves when traffic for it reaches this node. */
  roomAdded?(room: string): Promise<void> | void
  /** A room lost its last local member. */
  roomRemoved?(room: string): void
  /** A user gained their first local connection. */
  userAdded?(userId: string): Promise<void> | void
  /** A user lost their last local connection. */
  userRemoved?(userId: string): void
}

/** Creates a namespace adapter per namespace and owns whatever they share (a broker connection). */
export interface Adapter {
  attach(namespace: LocalNamespace): NamespaceAdapter
  close(): Promise<void>
}

/** The default adapter: every connection lives in this process. */
export function inMemoryAdapter(): Adapter {
  return {
    attach: (namespace) => ({ broadcast: (target, frame) => void namespace.deliverLocal(target, frame) }),
    close: async () => {},
  }
}
