import type { JoinOptions } from '../contracts/client-server.js'
import type { HistoryPage, HistoryQuery, RoomHistoryConfig } from '../contracts/history.js'
import type { SinceField } from '../protocol/since-field.js'
import type { BroadcastTarget } from './namespace-adapter.js'

/**
 * What the registry asks of a namespace's history engine (`history/`), when the app has one.
 * Without it (no `history` option) the registry and broadcasts work exactly as before.
 */
export interface NamespaceHistoryHook<C> {
  /**
   * Appends a broadcast to each history room it targets (one stream entry per room) and returns
   * the target left for the cluster adapter, or `undefined` when nothing is left.
   */
  route(target: BroadcastTarget, event: string, data: unknown): BroadcastTarget | undefined
  /**
   * A join asked for history on `room` (`JoinOptions.history`): first writer wins. `local`: the
   * join was on this node (the other nodes are told); false: another node's join, relayed.
   */
  configure(room: string, config: RoomHistoryConfig, local: boolean): void
  /** The rooms joins turned history on for (what a node that just appeared is told). */
  joinedRooms(): Iterable<[string, RoomHistoryConfig]>
  /**
   * `connection` was just added to `room`, before any live frame can reach it; `joined` resolves
   * once cluster traffic for the room reaches this node. Returns what `join` resolves with.
   */
  joined(connection: C, room: string, options: JoinOptions | undefined, joined: Promise<void>): Promise<void>
  /** The room got its first local member: its history entries must reach this node. */
  roomAdded(room: string): Promise<void> | void
  /** The room lost its last local member. */
  roomRemoved(room: string): void
  /** `connection` left `room` (or closed). */
  left(connection: C, room: string): void
  /** A request envelope carried `since`: the next join of each room it names uses it. */
  noteSince(connection: C, since: SinceField): void
  /** `server.history(room, query)`. */
  read(room: string, query: HistoryQuery): Promise<HistoryPage>
}
