import type { PresenceEntry } from '../registry/presence-entry.js'
import {
  chunks,
  type DiffBody,
  MAX_ENTRIES_PER_MESSAGE,
  type PresenceBody,
  type PresenceHost,
  roomKey,
  toWire,
  type WireEntry,
} from './presence-messages.js'

/** A room other nodes watch: who, and this node's chain of diffs for it. */
interface Watched {
  readonly ns: string
  readonly room: string
  readonly watchers: Set<string>
  /** Position of the last diff sent for the room (a fresh number when the first node started watching). */
  last: number
  /** Local changes of this tick: connection id → entry, or null when it left. */
  readonly pending: Map<string, PresenceEntry | null>
}

/**
 * This node's side of cluster presence as the authority on its own connections: it answers asks
 * (`pq` → `ps`), remembers which nodes watch which rooms, and sends each of them, once per tick,
 * the changes of this node's connections in the rooms they watch (`pd`), numbered in one chain
 * per room, so a watcher notices a missing one. A room nobody watches costs one map lookup per
 * join and leave.
 */
export class PresencePublisher {
  readonly #host: PresenceHost
  readonly #epoch: string
  #seq = 0
  readonly #watched = new Map<string, Watched>()
  #flushScheduled = false

  constructor(host: PresenceHost, epoch: string) {
    this.#host = host
    this.#epoch = epoch
  }

  /** A local connection joined a room (`entry`) or left it (`undefined`). */
  changed(ns: string, room: string, id: string, entry: PresenceEntry | undefined): void {
    const watched = this.#watched.get(roomKey(ns, room))
    if (watched === undefined) return
    watched.pending.set(id, entry ?? null)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => this.#flush())
  }

  /** Answers an ask with this node's connections in each room; with `w`, the asker watches them from now on. */
  answer(sender: string, { id, ns, r: rooms, w: watch }: Extract<PresenceBody, { t: 'pq' }>): void {
    const local = this.#host.namespace(ns)?.presence
    for (const room of rooms) {
      let s = 0
      if (watch && local !== undefined) {
        const k = roomKey(ns, room)
        let watched = this.#watched.get(k)
        if (watched === undefined) this.#watched.set(k, (watched = { ns, room, watchers: new Set(), last: ++this.#seq, pending: new Map() }))
        watched.watchers.add(sender)
        s = watched.last
      }
      const pieces = chunks(toWire(local?.entries(room) ?? []), MAX_ENTRIES_PER_MESSAGE)
      pieces.forEach((m, i) => {
        const more = i < pieces.length - 1
        this.#host.send(this.#host.channels.node(sender), { t: 'ps', id, ns, r: room, e: this.#epoch, s, m, ...(more ? { more: true as const } : {}) })
      })
    }
  }

  /** `nodeId` no longer watches these rooms. */
  unwatched(nodeId: string, ns: string, rooms: readonly string[]): void {
    for (const room of rooms) this.#remove(roomKey(ns, room), nodeId)
  }

  /** `nodeId` watches nothing any more (it left, or restarted and will ask again). */
  forget(nodeId: string): void {
    for (const k of [...this.#watched.keys()]) this.#remove(k, nodeId)
  }

  #remove(k: string, nodeId: string): void {
    const watched = this.#watched.get(k)
    if (watched?.watchers.delete(nodeId) && watched.watchers.size === 0) this.#watched.delete(k)
  }

  #flush(): void {
    this.#flushScheduled = false
    for (const watched of this.#watched.values()) {
      if (watched.pending.size === 0) continue
      const set: PresenceEntry[] = []
      const del: string[] = []
      for (const [id, entry] of watched.pending) {
        if (entry === null) del.push(id)
        else set.push(entry)
      }
      watched.pending.clear()
      // Not sent while the broker is away: this node says hello when back, and watchers ask again.
      if (!this.#host.connected) continue
      for (const piece of diffPieces(toWire(set), del)) {
        const body: DiffBody = { t: 'pd', ns: watched.ns, r: watched.room, e: this.#epoch, s: ++this.#seq, p: watched.last, ...piece }
        watched.last = body.s
        for (const watcher of watched.watchers) this.#host.send(this.#host.channels.node(watcher), body)
      }
    }
  }
}

/** One tick's changes of a room, in messages of at most `MAX_ENTRIES_PER_MESSAGE` ids. */
function diffPieces(set: WireEntry[], del: string[]): Array<{ set: WireEntry[]; del: string[] }> {
  if (set.length + del.length <= MAX_ENTRIES_PER_MESSAGE) return [{ set, del }]
  const setPieces = set.length === 0 ? [] : chunks(set, MAX_ENTRIES_PER_MESSAGE).map((piece) => ({ set: piece, del: [] }))
  const delPieces = del.length === 0 ? [] : chunks(del, MAX_ENTRIES_PER_MESSAGE).map((piece) => ({ set: [], del: piece }))
  return [...setPieces, ...delPieces]
}
