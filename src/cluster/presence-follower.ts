import type { LocalPresence } from '../registry/presence-adapter.js'
import type { PresenceEntry } from '../registry/presence-entry.js'
import {
  chunks,
  type DiffBody,
  fromWire,
  MAX_ROOMS_PER_MESSAGE,
  PRESENCE_SYNC_TIMEOUT_MS,
  type PresenceBody,
  type PresenceHost,
  roomKey,
} from './presence-messages.js'

/** Diffs held per (room, node) while its part is being asked for; past this they are dropped (the answer is newer). */
const MAX_BUFFERED_DIFFS = 1000

/** What this node holds of another node's part of a room it watches. */
interface Part {
  epoch: string
  last: number
  /** False from an ask until its answer: diffs wait in `buffer`. */
  synced: boolean
  askedAt: number
  buffer: DiffBody[]
  /** Chunks of an answer still coming. */
  partial: PresenceEntry[] | undefined
}

/** A room this node watches. */
interface Followed {
  readonly ns: string
  readonly room: string
  readonly local: LocalPresence
  readonly parts: Map<string, Part>
  /** The first watcher's wait for the nodes known then. */
  first: { readonly expected: Set<string>; readonly resolve: () => void; readonly timer: NodeJS.Timeout } | undefined
}

/**
 * The side of cluster presence that follows the rooms this node watches (it has a local watcher
 * there): it asks every node for its part of the room, applies each node's chain of diffs to the
 * room's view (`LocalPresence`), and repairs: a diff that does not follow the last one applied
 * (lost, or from a restarted node with a new epoch) holds the node's diffs and asks it again; an
 * ask left unanswered is repeated, or the node's part dropped once the node is gone.
 */
export class PresenceFollower {
  readonly #host: PresenceHost
  readonly #followed = new Map<string, Followed>()
  #nextId = 0
  /** (node, room) pairs told this tick that this node does not watch the room. */
  readonly #toldUnwatched = new Set<string>()

  constructor(host: PresenceHost) {
    this.#host = host
  }

  /** Starts following a room; resolves once the nodes known now answered, or after `PRESENCE_SYNC_TIMEOUT_MS`. */
  watch(ns: string, room: string, local: LocalPresence): Promise<void> {
    const followed: Followed = { ns, room, local, parts: new Map(), first: undefined }
    this.#followed.set(roomKey(ns, room), followed)
    const others = this.#host.nodes()
    // Cut off, or alone: the room is asked for when the bus connects, or when a node says hello.
    if (!this.#host.connected || others.length === 0) return Promise.resolve()
    const now = Date.now()
    for (const nodeId of others) followed.parts.set(nodeId, newPart(now))
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#settleFirst(followed), PRESENCE_SYNC_TIMEOUT_MS)
      followed.first = { expected: new Set(others), resolve, timer }
      if (!this.#ask(this.#host.channels.control, ns, [room])) this.#settleFirst(followed)
    })
  }

  unwatch(ns: string, room: string): void {
    const k = roomKey(ns, room)
    const followed = this.#followed.get(k)
    if (followed === undefined) return
    this.#followed.delete(k)
    this.#settleFirst(followed)
    this.#host.send(this.#host.channels.control, { t: 'pu', ns, r: [room] })
  }

  /** One node's answer for one room (possibly one chunk of it). */
  answered(sender: string, message: Extract<PresenceBody, { t: 'ps' }>): void {
    const followed = this.#followed.get(roomKey(message.ns, message.r))
    if (followed === undefined) return
    let part = followed.parts.get(sender)
    if (part === undefined) followed.parts.set(sender, (part = newPart(Date.now())))
    const entries = fromWire(message.m, sender)
    if (message.more) {
      part.partial = part.partial ? part.partial.concat(entries) : entries
      return
    }
    const all = part.partial ? part.partial.concat(entries) : entries
    part.partial = undefined
    // An answer older than what this node applied since (two asks crossed) changes nothing.
    if (!(part.synced && part.epoch === message.e && message.s < part.last)) {
      followed.local.replace(followed.room, sender, all)
      part.epoch = message.e
      part.last = message.s
      part.synced = true
      const held = part.buffer.sort((a, b) => a.s - b.s)
      part.buffer = []
      for (const diff of held) this.#apply(followed, sender, part, diff)
    }
    this.#answeredFirst(followed, sender)
  }

  /** One node's changes in a room. */
  diff(sender: string, diff: DiffBody): void {
    const followed = this.#followed.get(roomKey(diff.ns, diff.r))
    if (followed === undefined) {
      // The sender thinks this node watches the room (an unwatch got lost): tell it, once per tick.
      const told = `${sender}\0${roomKey(diff.ns, diff.r)}`
      if (!this.#toldUnwatched.has(told)) {
        this.#toldUnwatched.add(told)
        this.#host.send(this.#host.channels.node(sender), { t: 'pu', ns: diff.ns, r: [diff.r] })
      }
      return
    }
    const part = followed.parts.get(sender)
    if (part === undefined) {
      followed.parts.set(sender, { ...newPart(Date.now()), buffer: [diff] })
      this.#ask(this.#host.channels.node(sender), followed.ns, [followed.room])
    } else if (!part.synced) hold(part, diff)
    else this.#apply(followed, sender, part, diff)
  }

  /** Asks `nodeId` again for its part of every followed room; unless `always`, not where an ask of it is under way. */
  askAgain(nodeId: string, always = false): void {
    const byNamespace = new Map<string, string[]>()
    const now = Date.now()
    for (const followed of this.#followed.values()) {
      const part = followed.parts.get(nodeId)
      if (!always && part !== undefined && !part.synced && now - part.askedAt < PRESENCE_SYNC_TIMEOUT_MS) continue
      if (part) unsync(part, now)
      else followed.parts.set(nodeId, newPart(now))
      add(byNamespace, followed.ns, followed.room)
    }
    for (const [ns, rooms] of byNamespace) this.#ask(this.#host.channels.node(nodeId), ns, rooms)
  }

  /** Asks every node again for every followed room (the bus is connected: first time, or after an outage). */
  askEveryone(): void {
    const byNamespace = new Map<string, string[]>()
    const now = Date.now()
    for (const followed of this.#followed.values()) {
      for (const part of followed.parts.values()) unsync(part, now)
      add(byNamespace, followed.ns, followed.room)
    }
    for (const [ns, rooms] of byNamespace) this.#ask(this.#host.channels.control, ns, rooms)
  }

  /** A node left the cluster: its connections leave every followed room. */
  nodeGone(nodeId: string): void {
    for (const followed of this.#followed.values()) {
      if (this.#host.connected) this.#drop(followed, nodeId)
      else {
        // Silence seen while this node was cut off proves nothing: asked again after the reconnect.
        const part = followed.parts.get(nodeId)
        if (part) part.synced = false
      }
      this.#answeredFirst(followed, nodeId)
    }
  }

  /** Repeats asks left unanswered; drops the parts of nodes that are gone and never answered. */
  tick(): void {
    this.#toldUnwatched.clear()
    if (!this.#host.connected) return
    const now = Date.now()
    const alive = new Set(this.#host.nodes())
    const again = new Map<string, Map<string, string[]>>() // node → ns → rooms
    for (const followed of this.#followed.values()) {
      for (const [nodeId, part] of followed.parts) {
        if (part.synced || now - part.askedAt < PRESENCE_SYNC_TIMEOUT_MS) continue
        if (!alive.has(nodeId)) {
          this.#drop(followed, nodeId)
          continue
        }
        part.askedAt = now
        let namespaces = again.get(nodeId)
        if (!namespaces) again.set(nodeId, (namespaces = new Map()))
        add(namespaces, followed.ns, followed.room)
      }
    }
    for (const [nodeId, namespaces] of again) {
      for (const [ns, rooms] of namespaces) this.#ask(this.#host.channels.node(nodeId), ns, rooms)
    }
  }

  close(): void {
    for (const followed of this.#followed.values()) this.#settleFirst(followed)
  }

  /** Asks for a part of `rooms` (and to watch them) on `channel`: the control channel (every node) or one node's. */
  #ask(channel: string, ns: string, rooms: readonly string[]): boolean {
    let sent = true
    for (const r of chunks(rooms, MAX_ROOMS_PER_MESSAGE)) {
      sent = this.#host.send(channel, { t: 'pq', id: (this.#nextId = (this.#nextId + 1) % Number.MAX_SAFE_INTEGER), ns, r, w: true }) && sent
    }
    return sent
  }

  #apply(followed: Followed, sender: string, part: Part, diff: DiffBody): void {
    if (diff.e === part.epoch && diff.p === part.last) {
      followed.local.apply(followed.room, sender, fromWire(diff.set, sender), diff.del)
      part.last = diff.s
      return
    }
    if (diff.e === part.epoch && diff.s <= part.last) return // already in an answer applied since
    // A diff went missing, or the sender restarted: ask for its part again and hold this one meanwhile.
    unsync(part, Date.now())
    hold(part, diff)
    this.#ask(this.#host.channels.node(sender), followed.ns, [followed.room])
  }

  #drop(followed: Followed, nodeId: string): void {
    followed.parts.delete(nodeId)
    followed.local.drop(followed.room, nodeId)
  }

  #answeredFirst(followed: Followed, nodeId: string): void {
    const first = followed.first
    if (first?.expected.delete(nodeId) && first.expected.size === 0) this.#settleFirst(followed)
  }

  #settleFirst(followed: Followed): void {
    const first = followed.first
    if (first === undefined) return
    followed.first = undefined
    clearTimeout(first.timer)
    first.resolve()
  }
}

function newPart(now: number): Part {
  return { epoch: '', last: 0, synced: false, askedAt: now, buffer: [], partial: undefined }
}

function unsync(part: Part, now: number): void {
  part.synced = false
  part.askedAt = now
  part.partial = undefined
}

function hold(part: Part, diff: DiffBody): void {
  if (part.buffer.length >= MAX_BUFFERED_DIFFS) part.buffer = []
  part.buffer.push(diff)
}

function add(lists: Map<string, string[]>, name: string, item: string): void {
  const list = lists.get(name)
  if (list) list.push(item)
  else lists.set(name, [item])
}
