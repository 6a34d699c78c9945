import { GatewayError } from '../errors/gateway-error.js'
import type { BroadcastTarget, LocalNamespace, NamespaceAdapter } from './namespace-adapter.js'
import type { TextFrame } from '../protocol/text-frame.js'
import type { JoinOptions, Server } from '../contracts/client-server.js'
import type { RoomHistoryConfig } from '../contracts/history.js'
import type { NamespaceHistoryHook } from './history-hook.js'
import { copyPresenceMeta } from './presence-entry.js'
import { RoomPresence } from './room-presence.js'

/** What the registry needs of a connection. */
export interface RegisteredConnection {
  readonly id: string
  readonly userId: string | undefined
  /** The connection's own view of its rooms, kept in step by the registry. */
  readonly roomSet: Set<string>
  send(frame: TextFrame): boolean
  close(code?: number, reason?: string): void
  /** Resolves once the outbox is empty or the connection is closing (absent: at once). */
  drained?(): Promise<void>
}

const MAX_ROOM_LENGTH = 256
const RESOLVED: Promise<void> = Promise.resolve()

/**
 * One namespace's connections, rooms and users on this node. Membership
 * changes are synchronous (a frame handled right after `join` sees the room);
 * the promise `join` returns only waits for the cluster adapter.
 */
export class NamespaceRegistry<C extends RegisteredConnection = RegisteredConnection> implements LocalNamespace {
  readonly #connections = new Map<string, C>()
  readonly #rooms = new Map<string, Set<C>>()
  readonly #users = new Map<string, Set<C>>()
  /**
   * Rooms and users whose cluster subscription is still being confirmed. Later members wait
   * for the same promise as the first: a join answered before it would miss other nodes'
   * broadcasts (all of a dead node's clients re-join on a survivor at once).
   */
  readonly #pendingRooms = new Map<string, Promise<void>>()
  readonly #pendingUsers = new Map<string, Promise<void>>()
  #adapter!: NamespaceAdapter
  #history: NamespaceHistoryHook<C> | undefined
  server!: Server
  /** Who is in each room, for watchers and the cluster adapter. */
  readonly presence: RoomPresence<C>

  constructor(
    readonly name: string,
    readonly nodeId: string,
  ) {
    this.presence = new RoomPresence<C>(nodeId, (room) => this.#rooms.get(room) ?? EMPTY)
  }

  get adapter(): NamespaceAdapter {
    return this.#adapter
  }

  /** Set once at mount. */
  useAdapter(adapter: NamespaceAdapter): void {
    this.#adapter = adapter
    this.presence.useAdapter(adapter.presence)
  }

  /** The history engine, when the app has rooms with history. */
  get history(): NamespaceHistoryHook<C> | undefined {
    return this.#history
  }

  /** Set once at mount, when the app has a `history` option. */
  useHistory(history: NamespaceHistoryHook<C>): void {
    this.#history = history
  }

  get size(): number {
    return this.#connections.size
  }

  connection(id: string): C | undefined {
    return this.#connections.get(id)
  }

  connections(): IterableIterator<C> {
    return this.#connections.values()
  }

  add(connection: C): Promise<void> {
    this.#connections.set(connection.id, connection)
    const { userId } = connection
    if (userId === undefined) return RESOLVED
    let set = this.#users.get(userId)
    if (set) {
      set.add(connection)
      return this.#pendingUsers.get(userId) ?? RESOLVED
    }
    this.#users.set(userId, (set = new Set([connection])))
    return pending(this.#pendingUsers, userId, this.#adapter.userAdded?.(userId))
  }

  remove(connection: C): void {
    for (const room of connection.roomSet) this.#removeFromRoom(connection, room)
    connection.roomSet.clear()
    const { userId } = connection
    if (userId !== undefined) {
      const set = this.#users.get(userId)
      if (set?.delete(connection) && set.size === 0) {
        this.#users.delete(userId)
        this.#pendingUsers.delete(userId)
        this.#adapter.userRemoved?.(userId)
      }
    }
    this.#connections.delete(connection.id)
  }

  join(connection: C, room: string, options?: JoinOptions): Promise<void> {
    assertRoom(room)
    const meta = options?.meta === undefined ? undefined : copyPresenceMeta(options.meta)
    if (!this.#connections.has(connection.id)) return RESOLVED
    const history = this.#history
    let joined: Promise<void>
    if (connection.roomSet.has(room)) joined = RESOLVED
    else if (history === undefined) joined = this.#add(connection, room, meta)
    else {
      if (options?.history !== undefined) history.configure(room, options.history, true)
      joined = history.joined(connection, room, options, this.#add(connection, room, meta))
    }
    // A watcher is sent the members once its join is in effect on every node.
    return options?.presence === true ? joined.then(() => this.presence.watch(connection, room)) : joined
  }

  #add(connection: C, room: string, meta: unknown): Promise<void> {
    connection.roomSet.add(room)
    const members = this.#rooms.get(room)
    if (members) members.add(connection)
    else this.#rooms.set(room, new Set([connection]))
    this.presence.joined(connection, room, meta)
    if (members) return this.#pendingRooms.get(room) ?? RESOLVED
    const added = this.#adapter.roomAdded?.(room)
    const stored = this.#history?.roomAdded(room)
    return pending(this.#pendingRooms, room, stored === undefined ? added : Promise.all([added, stored]).then(noop))
  }

  leave(connection: C, room: string): void {
    assertRoom(room)
    if (connection.roomSet.delete(room)) this.#removeFromRoom(connection, room)
  }

  roomSize(room: string): number {
    return this.#rooms.get(room)?.size ?? 0
  }

  hasLocalRoom(room: string): boolean {
    return this.#rooms.has(room)
  }

  hasLocalUser(userId: string): boolean {
    return this.#users.has(userId)
  }

  localRoomMembers(room: string): string[] {
    const ids: string[] = []
    for (const connection of this.#rooms.get(room) ?? EMPTY) ids.push(connection.id)
    return ids
  }

  disconnectLocalUser(userId: string, code: number, reason: string): number {
    const connections = [...this.userConnections(userId)]
    for (const connection of connections) connection.close(code, reason)
    return connections.length
  }

  /** Local connections of a user. */
  userConnections(userId: string): ReadonlySet<C> {
    return this.#users.get(userId) ?? EMPTY
  }

  historyConfigured(room: string, config: RoomHistoryConfig): void {
    this.#history?.configure(room, config, false)
  }

  historyRooms(): Iterable<[string, RoomHistoryConfig]> {
    return this.#history?.joinedRooms() ?? []
  }

  deliverLocal(target: BroadcastTarget, frame: TextFrame): number {
    return this.#forEachTarget(target, (connection) => connection.send(frame))
  }

  /** Ids of the local connections a target resolves to. */
  localTargetIds(target: BroadcastTarget): string[] {
    const ids: string[] = []
    this.#forEachTarget(target, (connection) => (ids.push(connection.id), true))
    return ids
  }

  #forEachTarget(target: BroadcastTarget, visit: (connection: C) => boolean): number {
    const excluded = this.#excluded(target)
    let count = 0
    const each = (connection: C) => {
      if (excluded === undefined || !excluded.has(connection)) if (visit(connection)) count++
    }
    const { rooms, users, connections } = target
    const sources = rooms.length + users.length + connections.length
    if (sources === 0) {
      for (const connection of this.#connections.values()) each(connection)
    } else if (sources === 1 && rooms.length === 1) {
      // The common case, one room: its members are distinct already.
      const members = this.#rooms.get(rooms[0]!)
      if (members) for (const connection of members) each(connection)
    } else {
      const union = new Set<C>()
      for (const room of rooms) for (const connection of this.#rooms.get(room) ?? EMPTY) union.add(connection)
      for (const user of users) for (const connection of this.#users.get(user) ?? EMPTY) union.add(connection)
      for (const id of connections) {
        const connection = this.#connections.get(id)
        if (connection) union.add(connection)
      }
      for (const connection of union) each(connection)
    }
    return count
  }

  #excluded(target: BroadcastTarget): Set<C> | undefined {
    if (target.exceptRooms.length === 0 && target.exceptConnections.length === 0) return undefined
    const excluded = new Set<C>()
    for (const room of target.exceptRooms) for (const connection of this.#rooms.get(room) ?? EMPTY) excluded.add(connection)
    for (const id of target.exceptConnections) {
      const connection = this.#connections.get(id)
      if (connection) excluded.add(connection)
    }
    return excluded
  }

  #removeFromRoom(connection: C, room: string): void {
    this.presence.left(connection, room)
    this.#history?.left(connection, room)
    const members = this.#rooms.get(room)
    if (members?.delete(connection) && members.size === 0) {
      this.#rooms.delete(room)
      this.#pendingRooms.delete(room)
      this.#adapter.roomRemoved?.(room)
      this.#history?.roomRemoved(room)
    }
  }
}

const EMPTY: ReadonlySet<never> = new Set()

function noop(): void {}

function assertRoom(room: unknown): asserts room is string {
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_LENGTH) {
    throw new GatewayError('INVALID_ARGUMENT', `A room name must be a non-empty string of at most ${MAX_ROOM_LENGTH} characters`)
  }
}

/** Records an adapter's pending subscription under `key` until it settles; returns the promise joins wait for. */
function pending(map: Map<string, Promise<void>>, key: string, value: Promise<void> | void): Promise<void> {
  if (!(value instanceof Promise)) return RESOLVED
  map.set(key, value)
  const forget = () => {
    if (map.get(key) === value) map.delete(key)
  }
  value.then(forget, forget)
  return value
}
