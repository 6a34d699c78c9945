// Client and Server refer to each other (`client.server`, `server.connection(id)`), so they share one file.
import type { HistoryPage, HistoryQuery, RoomHistoryConfig, SinceRequest } from './history.js'
import type { PresenceMember } from './presence.js'

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
  /**
   * Joins a room. Resolves once messages to the room reach this connection (across nodes, with a
   * cluster adapter) and, with `{ presence: true }`, once the room's presence was sent to it.
   */
  join(room: string, options?: JoinOptions): Promise<void>
  /** Leaves a room. */
  leave(room: string): Promise<void>
  /** Sends `{ event, data }` to this connection. Returns false if it is closed (nothing is sent). */
  emit(event: string, data?: unknown): boolean
  /** Closes the connection once what is queued for it is written. @default code 1000 */
  close(code?: number, reason?: string): void
}

/** Options of `client.join(room, options)`. */
export interface JoinOptions {
  /**
   * This connection's presence meta in the room (a display name, a status): any JSON value of at
   * most 1 KiB serialized, copied at the call. Shown in `server.presence(room)` and presence events.
   * Set by the first join of the room; a later join of the same room keeps it. @default none
   */
  meta?: unknown
  /**
   * Sends this connection the room's presence: a `$presence` frame with every member first, then
   * one with the joins and leaves of each tick, until it leaves the room. Who may see a room's
   * members is the application's decision, so only the server sets this. @default false
   */
  presence?: boolean
  /**
   * Turns history on for this room (when no `history.rooms` rule does): its broadcasts get
   * offsets and are kept for resuming clients. The first join that sets it wins; later joins keep
   * it; the cluster adapter tells every node. @default none
   */
  history?: RoomHistoryConfig
  /**
   * Replays the room's history to this connection before any live message: the messages after a
   * position (`{ offset, epoch }`, a resume) or the last N (`{ last }`). A client sends it in the
   * request envelope's `since` field; this option sets it from the server. @default the envelope's `since` for the room
   */
  since?: SinceRequest
}

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
  /** Closes every local connection of a user. Returns how many were closed. See `disconnectUserEverywhere` for a ban. */
  disconnectUser(userId: string, code?: number, reason?: string): number
  /** Members of a room on every node. With the in-memory adapter, the local count. */
  fetchRoomSize(room: string, options?: ClusterQueryOptions): Promise<ClusterAnswer<number>>
  /** Connection ids of a room's members on every node. */
  fetchRoomMembers(room: string, options?: ClusterQueryOptions): Promise<ClusterAnswer<string[]>>
  /**
   * Closes a user's connections on every node (a ban); the value is how many
   * were closed. Nodes that did not confirm in time are listed in `missing`.
   */
  disconnectUserEverywhere(userId: string, options?: DisconnectOptions): Promise<ClusterAnswer<number>>
  /**
   * Who is in a room on every node: one member per user id with its connections (id, node,
   * meta). Nodes that did not answer in time are listed in `missing`.
   */
  presence(room: string, options?: ClusterQueryOptions): Promise<ClusterAnswer<PresenceMember[]>>
  /**
   * A room's stored messages: the last `limit`, or those after `since`. Rejects with `HISTORY_OFF`
   * for a room without history, `HISTORY_UNAVAILABLE` when the store cannot be read, and
   * `HISTORY_GONE` when `since` names another epoch or messages after it were trimmed.
   */
  history(room: string, options?: HistoryQuery): Promise<HistoryPage>
}

/** Options of a cross-node query. */
export interface ClusterQueryOptions {
  /** How long to wait for the other nodes' answers. @default 2000 */
  timeoutMs?: number
}

/** Options of `disconnectUserEverywhere`. */
export interface DisconnectOptions extends ClusterQueryOptions {
  /** The close code sent to the user's connections. @default 1008 */
  code?: number
  /** The close reason. @default 'Disconnected' */
  reason?: string
}

/**
 * The merged answer of a cross-node query. `complete` is false when a node
 * known to the cluster did not answer in time (or the broker is down): the
 * value then covers only the nodes in `nodes`, and `missing` names the others.
 */
export interface ClusterAnswer<T> {
  readonly value: T
  /** Node ids whose answer is included, this node first. */
  readonly nodes: readonly string[]
  /** Node ids known to the cluster that did not answer in time. */
  readonly missing: readonly string[]
  readonly complete: boolean
}
