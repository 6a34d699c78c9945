import type { Logger } from '../logging/logger.js'

/**
 * The shared vocabulary of message history (issue 12): positions in a room's stream, what a
 * client asks for when it joins, and the `HistoryStore` a cluster's broker implements. The
 * engine that uses them lives in `history/`; stores for Redis and NATS in their subpaths.
 */

/** Where a client is in a room's stream: the last offset it received, in the epoch it was in. */
export interface HistoryPosition {
  /** A positive integer, strictly increasing per room within one epoch (gaps allowed). */
  readonly offset: number
  /** Names the room's stream; a new epoch means the history before it is gone. */
  readonly epoch: string
}

/** What a join asks of a room's history: the messages after a position, or the last N. */
export type SinceRequest = HistoryPosition | { readonly last: number }

/** A room's history settings: how many messages it keeps and for how long. */
export interface RoomHistoryConfig {
  /** Messages kept per room (Redis trims approximately, `MAXLEN ~`). */
  readonly size: number
  /** How long a message is kept, in milliseconds. */
  readonly ttlMs: number
}

/** A message as a store keeps it: the event name and the data as JSON text (never re-encoded). */
export interface StoredEntry {
  readonly offset: number
  readonly event: string
  /** The data, serialized once by the publisher. */
  readonly data: string
  /** When it was stored (epoch ms), for the time-to-live. */
  readonly at: number
  /**
   * Set on the first message a node stored after it could not store one (stores whose epoch is
   * global mark the break this way): a resume across it cannot be complete.
   */
  readonly gap?: boolean
}

/** A new message on its way to every node, with the exceptions of its broadcast. */
export interface LiveEntry extends StoredEntry {
  readonly epoch: string
  readonly exceptRooms: readonly string[]
  readonly exceptConnections: readonly string[]
}

/** What a store appends: one broadcast to one room. */
export interface HistoryAppend {
  readonly event: string
  /** The data as JSON text. */
  readonly data: string
  readonly exceptRooms: readonly string[]
  readonly exceptConnections: readonly string[]
}

/** What `read` asks for: the entries after an offset, or the last `last`, at most `limit` of them. */
export type HistoryReadRequest = { readonly after: number; readonly limit: number } | { readonly last: number; readonly limit: number }

/** A store's answer to `read`. */
export interface HistoryRange {
  /** The room's current epoch (a fresh one if the room has no stream yet). */
  readonly epoch: string
  /** The room's newest offset at the read (0 when it has none). */
  readonly top: number
  /** Entries in offset order, at most the request's `limit`, none older than the room's ttl. */
  readonly entries: readonly StoredEntry[]
  /**
   * For `after`: whether every message of the epoch after `after` is still held, i.e. the
   * entries (read up to `limit`) start right after it. False means some were trimmed or expired.
   */
  readonly complete: boolean
}

/** What a store reports to the gateway, and the gateway's logger for the store's own warnings. */
export interface HistoryStoreEvents {
  /** A message was appended to a room this node subscribed to, in offset order, on every node. */
  entry(namespace: string, room: string, entry: LiveEntry): void
  /** The store's live feed to this node was cut and is back: entries may have gone by unseen meanwhile. */
  interrupted?(): void
  /** The gateway app's logger. */
  readonly logger: Logger
}

/**
 * Where rooms' histories live. Offsets are assigned by the store, and every node receives a
 * room's new entries (through `events.entry`) in the same order, offset order: that is what lets
 * a client resume on any node. The in-memory store serves one node; `gangway-ws/redis` and
 * `gangway-ws/nats` provide the stores their cluster adapters use.
 */
export interface HistoryStore {
  /** A short name for logs ("memory", "redis", "jetstream"). */
  readonly name: string
  /** Starts delivering entries to `events`. Called once, before anything else. */
  start(events: HistoryStoreEvents): Promise<void>
  /**
   * Assigns the next offset, stores the message and delivers it to every node subscribed to the
   * room (this one included). Rejects when the store cannot take it (unreachable): the message
   * was then neither stored nor delivered by the store.
   */
  append(namespace: string, room: string, message: HistoryAppend, config: RoomHistoryConfig): Promise<void>
  /** Starts delivering the room's new entries to this node. Resolves once they flow. */
  subscribe(namespace: string, room: string): Promise<void>
  /** Stops delivering the room's entries to this node. */
  unsubscribe(namespace: string, room: string): void
  /** Reads a range of a room's history. Rejects when the store is unreachable. */
  read(namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig): Promise<HistoryRange>
  /**
   * Starts a new epoch for the room on its next append (or, where epochs are global, marks that
   * append as a `gap`): the node lost a message it could not store, so no client may resume across it.
   */
  resetEpoch?(namespace: string, room: string): void
  /** Closes what the store opened. Idempotent. */
  close(): Promise<void>
}

/** A message of `server.history(room)`. */
export interface HistoryMessage {
  readonly offset: number
  readonly event: string
  readonly data: unknown
}

/** The answer of `server.history(room)`. */
export interface HistoryPage {
  readonly room: string
  readonly epoch: string
  /** The room's newest offset at the read. */
  readonly offset: number
  readonly messages: HistoryMessage[]
}

/** Options of `server.history(room, options)`. */
export interface HistoryQuery {
  /** Messages after this position (its epoch must be the room's current one). @default the last `limit` */
  since?: HistoryPosition
  /** At most this many messages (and never more than the gateway's `maxReplayMessages`). @default maxReplayMessages */
  limit?: number
}

/** Why a room's history could not be recovered. */
export type RecoveryFailure = 'epoch-changed' | 'too-far-behind' | 'history-off' | 'store-unavailable' | 'too-many-replays'

/** The data of a `$recovery` frame. */
export interface RecoveryReport {
  readonly room: string
  readonly recovered: boolean
  readonly reason?: RecoveryFailure
  readonly epoch?: string
  readonly offset?: number
  readonly replayed: number
}
