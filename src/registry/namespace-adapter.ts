import type { ClusterAnswer } from '../contracts/client-server.js'
import type { HistoryStore, RoomHistoryConfig } from '../contracts/history.js'
import type { TextFrame } from '../protocol/text-frame.js'
import type { LocalPresence, NamespacePresenceAdapter } from './presence-adapter.js'
import type { PresenceEntry } from './presence-entry.js'

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
  /** Ids of the local members of a room. */
  localRoomMembers(room: string): string[]
  /** Closes every local connection of a user; returns how many. */
  disconnectLocalUser(userId: string, code: number, reason: string): number
  /** Presence on this node: local entries, and the views of rooms with local watchers. */
  readonly presence: LocalPresence
  /** Another node's join turned history on for a room. */
  historyConfigured(room: string, config: RoomHistoryConfig): void
  /** The rooms joins on any node turned history on for, as this node knows them. */
  historyRooms(): Iterable<[string, RoomHistoryConfig]>
}

/** A question every node answers about its own connections. */
export type ClusterQuery =
  | { readonly kind: 'roomSize'; readonly room: string }
  | { readonly kind: 'roomMembers'; readonly room: string }
  | { readonly kind: 'presence'; readonly room: string }
  | { readonly kind: 'disconnectUser'; readonly userId: string; readonly code: number; readonly reason: string }

/** What a query returns per node: a count, connection ids, or presence entries. */
export type QueryValue<Q extends ClusterQuery> = Q extends { readonly kind: 'roomMembers' }
  ? string[]
  : Q extends { readonly kind: 'presence' }
    ? PresenceEntry[]
    : number

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
  /** Asks every node (this one included) and merges the answers. Absent: this node answers alone. */
  query?<Q extends ClusterQuery>(query: Q, timeoutMs: number): Promise<ClusterAnswer<QueryValue<Q>>>
  /** Presence across nodes. Absent: this node's view of a room is the whole room. */
  readonly presence?: NamespacePresenceAdapter
  /** A join on this node turned history on for a room: tell the other nodes (they publish to it too). */
  historyConfigured?(room: string, config: RoomHistoryConfig): void
}

/** Creates a namespace adapter per namespace and owns whatever they share (a broker connection). */
export interface Adapter {
  attach(namespace: LocalNamespace): NamespaceAdapter
  close(): Promise<void>
  /**
   * The history store that spans the same nodes (Redis Streams for a Redis cluster, JetStream
   * for NATS), created when the app has a `history` option. Absent: the adapter has none.
   */
  historyStore?(): HistoryStore | undefined
}

/** The default adapter: every connection lives in this process. */
export function inMemoryAdapter(): Adapter {
  return {
    attach: (namespace) => ({ broadcast: (target, frame) => void namespace.deliverLocal(target, frame) }),
    close: async () => {},
  }
}

/** Answers a query from this node's connections only. */
export function answerLocally<Q extends ClusterQuery>(namespace: LocalNamespace, query: Q): QueryValue<Q> {
  switch (query.kind) {
    case 'roomSize':
      return namespace.localRoomMembers(query.room).length as QueryValue<Q>
    case 'roomMembers':
      return namespace.localRoomMembers(query.room) as QueryValue<Q>
    case 'presence':
      return namespace.presence.entries(query.room) as QueryValue<Q>
    case 'disconnectUser':
      return namespace.disconnectLocalUser(query.userId, query.code, query.reason) as QueryValue<Q>
  }
}

/** Whether a query's answers are lists (merged by concatenation) rather than counts (summed). */
export function answersWithList(query: ClusterQuery): boolean {
  return query.kind === 'roomMembers' || query.kind === 'presence'
}

/** Merges one node's answer into the running value. */
export function mergeAnswers<Q extends ClusterQuery>(query: Q, into: QueryValue<Q>, value: QueryValue<Q>): QueryValue<Q> {
  if (answersWithList(query)) {
    ;(into as unknown[]).push(...(value as unknown[]))
    return into
  }
  return ((into as number) + (value as number)) as QueryValue<Q>
}
