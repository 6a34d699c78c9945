import { PRESENCE_EVENT } from '../protocol/control-events.js'
import { encodeEvent } from '../protocol/frames.js'
import type { TextFrame } from '../protocol/text-frame.js'
import type { LocalPresence, NamespacePresenceAdapter } from './presence-adapter.js'
import type { PresenceEntry } from './presence-entry.js'
import { PresenceView } from './presence-view.js'

/** What presence needs of a connection (the registry's connections have it). */
export interface PresenceHolder {
  readonly id: string
  readonly userId: string | undefined
  readonly roomSet: ReadonlySet<string>
  send(frame: TextFrame): boolean
}

/** A room with local watchers: its view, the watchers, and those still waiting for the first state. */
interface Watched<C> {
  readonly view: PresenceView
  readonly watchers: Set<C>
  readonly waiting: Set<C>
  /** Watchers a frame could not be queued for (a full outbox with `onOverflow: 'drop'`): the next frame they get is the members again. */
  readonly stale: Set<C>
  /** Set until the other nodes' state is in (the first watcher's join waits for it). */
  synced: Promise<void> | undefined
}

const RESOLVED: Promise<void> = Promise.resolve()

/**
 * Presence in one namespace on this node: the meta of local connections per room, and for each
 * room with local watchers (connections that joined it with `{ presence: true }`) a view of the
 * whole room, kept by the registry for local changes and by the cluster adapter for the other
 * nodes'. Watchers get the room's members first, then one `$presence` frame per tick with what
 * changed, encoded once for all of them.
 */
export class RoomPresence<C extends PresenceHolder> implements LocalPresence {
  readonly #nodeId: string
  readonly #localMembers: (room: string) => Iterable<C>
  #adapter: NamespacePresenceAdapter | undefined
  /** Room → connection id → meta, for connections that joined with one. */
  readonly #metas = new Map<string, Map<string, unknown>>()
  readonly #watched = new Map<string, Watched<C>>()
  readonly #dirty = new Set<string>()
  #flushScheduled = false

  constructor(nodeId: string, localMembers: (room: string) => Iterable<C>) {
    this.#nodeId = nodeId
    this.#localMembers = localMembers
  }

  /** Set once at mount, with the namespace adapter. */
  useAdapter(adapter: NamespacePresenceAdapter | undefined): void {
    this.#adapter = adapter
  }

  /** The registry added `connection` to `room`; `meta` is already checked and copied. */
  joined(connection: C, room: string, meta: unknown): void {
    if (meta !== undefined) {
      let metas = this.#metas.get(room)
      if (!metas) this.#metas.set(room, (metas = new Map()))
      metas.set(connection.id, meta)
    }
    const watched = this.#watched.get(room)
    if (watched === undefined && this.#adapter === undefined) return
    const entry = this.#entry(connection, room)
    if (watched) {
      watched.view.add(entry)
      this.#schedule(room)
    }
    this.#adapter?.changed(room, connection.id, entry)
  }

  /** The registry removed `connection` from `room`. */
  left(connection: C, room: string): void {
    const metas = this.#metas.get(room)
    if (metas?.delete(connection.id) && metas.size === 0) this.#metas.delete(room)
    const watched = this.#watched.get(room)
    if (watched) {
      watched.view.remove(this.#nodeId, connection.id)
      this.#schedule(room)
      this.#stopWatching(room, watched, connection)
    }
    this.#adapter?.changed(room, connection.id, undefined)
  }

  /**
   * Makes a member of `room` a watcher. Resolves once it was sent the room's members: at once
   * when the room is watched here already, after the other nodes answered otherwise.
   */
  watch(connection: C, room: string): Promise<void> {
    if (!connection.roomSet.has(room)) return RESOLVED
    const watched = this.#watched.get(room)
    if (watched === undefined) return this.#startWatching(connection, room)
    if (watched.synced !== undefined) {
      watched.waiting.add(connection)
      return watched.synced
    }
    if (watched.watchers.has(connection)) return RESOLVED
    // What changed before goes to the watchers that saw the state before it; the newcomer gets the state after.
    this.#flush(room)
    watched.watchers.add(connection)
    if (!connection.send(membersFrame(room, watched))) watched.stale.add(connection)
    return RESOLVED
  }

  // --- LocalPresence: what the cluster adapter reads and applies ---

  entries(room: string): PresenceEntry[] {
    const entries: PresenceEntry[] = []
    for (const connection of this.#localMembers(room)) entries.push(this.#entry(connection, room))
    return entries
  }

  /** Whether a room has local watchers (and so a view). */
  isWatched(room: string): boolean {
    return this.#watched.has(room)
  }

  apply(room: string, nodeId: string, set: readonly PresenceEntry[], del: readonly string[]): void {
    const view = this.#remoteView(room, nodeId)
    if (view === undefined) return
    for (const id of del) view.remove(nodeId, id)
    for (const entry of set) if (entry.nodeId === nodeId) view.add(entry)
    this.#schedule(room)
  }

  replace(room: string, nodeId: string, entries: readonly PresenceEntry[]): void {
    const view = this.#remoteView(room, nodeId)
    if (view === undefined) return
    view.replaceNode(nodeId, entries.filter((entry) => entry.nodeId === nodeId))
    this.#schedule(room)
  }

  drop(room: string, nodeId: string): void {
    const view = this.#remoteView(room, nodeId)
    if (view?.dropNode(nodeId)) this.#schedule(room)
  }

  // --- internals ---

  #startWatching(connection: C, room: string): Promise<void> {
    const view = new PresenceView()
    for (const member of this.#localMembers(room)) view.add(this.#entry(member, room))
    view.takeDiff() // the starting state is no change
    const watched: Watched<C> = { view, watchers: new Set(), waiting: new Set([connection]), stale: new Set(), synced: undefined }
    this.#watched.set(room, watched)
    const synced = this.#adapter?.watch(room)
    if (synced === undefined) {
      this.#ready(room, watched)
      return RESOLVED
    }
    const ready = () => this.#ready(room, watched)
    watched.synced = synced.then(ready, ready)
    return watched.synced
  }

  #ready(room: string, watched: Watched<C>): void {
    watched.synced = undefined
    if (this.#watched.get(room) !== watched) return // every watcher left meanwhile
    this.#flush(room)
    if (watched.waiting.size === 0) return
    const frame = membersFrame(room, watched)
    for (const connection of watched.waiting) {
      watched.watchers.add(connection)
      if (!connection.send(frame)) watched.stale.add(connection)
    }
    watched.waiting.clear()
  }

  #stopWatching(room: string, watched: Watched<C>, connection: C): void {
    watched.stale.delete(connection)
    if (!watched.watchers.delete(connection) && !watched.waiting.delete(connection)) return
    if (watched.watchers.size + watched.waiting.size > 0) return
    this.#watched.delete(room)
    this.#dirty.delete(room)
    this.#adapter?.unwatch(room)
  }

  /** The view another node's changes go to: a watched room, never this node's own part. */
  #remoteView(room: string, nodeId: string): PresenceView | undefined {
    return nodeId === this.#nodeId ? undefined : this.#watched.get(room)?.view
  }

  #entry(connection: C, room: string): PresenceEntry {
    const meta = this.#metas.get(room)?.get(connection.id)
    const entry = { id: connection.id, nodeId: this.#nodeId, userId: connection.userId }
    return meta === undefined ? entry : { ...entry, meta }
  }

  #schedule(room: string): void {
    this.#dirty.add(room)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // One frame per room per tick: a node's departure, or a burst of joins, reaches watchers together.
    setImmediate(() => {
      this.#flushScheduled = false
      for (const dirty of [...this.#dirty]) this.#flush(dirty)
    })
  }

  #flush(room: string): void {
    this.#dirty.delete(room)
    const watched = this.#watched.get(room)
    const diff = watched?.view.takeDiff()
    if (diff === undefined || watched!.watchers.size === 0) return
    const frame = encodeEvent(PRESENCE_EVENT, { room, joins: diff.joins, leaves: diff.leaves })
    let members: TextFrame | undefined
    for (const connection of watched!.watchers) {
      // A watcher that missed a frame gets the whole room instead: a diff would not apply to what it has.
      if (watched!.stale.has(connection)) {
        if (connection.send((members ??= membersFrame(room, watched!)))) watched!.stale.delete(connection)
      } else if (!connection.send(frame)) watched!.stale.add(connection)
    }
  }
}

function membersFrame(room: string, watched: Watched<unknown>): TextFrame {
  return encodeEvent(PRESENCE_EVENT, { room, members: watched.view.members() })
}
