import { randomInt } from 'node:crypto'
import type { LocalNamespace } from '../registry/namespace-adapter.js'
import type { LocalPresence, NamespacePresenceAdapter } from '../registry/presence-adapter.js'
import type { PresenceEntry } from '../registry/presence-entry.js'
import type { ClusterChannels } from './cluster-channels.js'
import {
  chunks,
  type DiffBody,
  fromWire,
  MAX_ENTRIES_PER_MESSAGE,
  MAX_ROOMS_PER_MESSAGE,
  parsePresence,
  type PresenceBody,
  toWire,
  type WireEntry,
} from './presence-messages.js'

/** What cluster presence needs of its adapter. */
export interface PresenceHost {
  readonly channels: ClusterChannels
  /** Whether the bus is connected (messages can be sent and received). */
  readonly connected: boolean
  send(channel: string, body: PresenceBody): boolean
  /** The other nodes currently known to be alive. */
  nodes(): string[]
  namespace(name: string): LocalNamespace | undefined
}

/** How long a watch waits for the other nodes' first answers; also when an unanswered ask is repeated. */
export const PRESENCE_SYNC_TIMEOUT_MS = 2000
/** Diffs held per (room, node) while its state is being asked for; past this they are dropped and asked again. */
const MAX_BUFFERED_DIFFS = 1000

/** A room other nodes watch: who, and this node's chain of diffs for it. */
interface Outgoing {
  readonly ns: string
  readonly room: string
  readonly watchers: Set<string>
  /** Position of the last diff sent for the room (a fresh number when the first node started watching). */
  last: number
  /** Local changes of this tick: connection id → entry, or null when it left. */
  readonly pending: Map<string, PresenceEntry | null>
}

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
interface Incoming {
  readonly ns: string
  readonly room: string
  readonly local: LocalPresence
  readonly parts: Map<string, Part>
  /** The first watcher's wait for the nodes known then. */
  first: { readonly expected: Set<string>; readonly resolve: () => void; readonly timer: NodeJS.Timeout } | undefined
}

/**
 * Presence across nodes, node-owned (like Phoenix's tracker): each node is the authority on its
 * own connections and no broker stores anything. A node that watches a room (has a local watcher)
 * asks every node for its connections in it (`pq` with `w`) and from then on receives each
 * node's changes (`pd`), numbered in a chain, so a lost one is noticed at the next and the
 * node's part is asked for again. Everything else is repair:
 *
 * - a node that stops heartbeating (killed, cut off) leaves the cluster after `nodeTimeoutMs`
 *   (`nodeLeft`): its connections are dropped from every view, and watchers get their leaves;
 * - a node that says `hello` (started, or reconnected to the broker) is asked again for every
 *   watched room, and forgets who watched its rooms (a watcher that reconnected asks again);
 * - after this node's own reconnect it asks every node again for every watched room; a node
 *   that left the cluster meanwhile and does not answer is dropped;
 * - a loss on a channel from a sender (the adapter's numbering) asks that sender again.
 */
export class ClusterPresence {
  readonly #host: PresenceHost
  readonly #epoch = randomInt(2 ** 47).toString(36)
  #seq = 0
  #nextId = 0
  readonly #outgoing = new Map<string, Outgoing>()
  readonly #incoming = new Map<string, Incoming>()
  #flushScheduled = false
  /** (node, room) pairs told recently that this node does not watch the room: one `pu` per pair and tick. */
  readonly #toldUnwatched = new Set<string>()
  #timer: NodeJS.Timeout | undefined

  constructor(host: PresenceHost) {
    this.#host = host
  }

  /** Starts repeating unanswered asks every `tickMs` (the adapter's heartbeat). */
  start(tickMs: number): void {
    this.#timer ??= setInterval(() => this.#tick(), tickMs)
    this.#timer.unref()
  }

  /** The presence part of a namespace adapter. */
  forNamespace(ns: string, local: LocalNamespace): NamespacePresenceAdapter {
    return {
      changed: (room, id, entry) => this.#changed(ns, room, id, entry),
      watch: (room) => this.#watch(ns, room, local.presence),
      unwatch: (room) => this.#unwatch(ns, room),
    }
  }

  /** A control message; false if it is not a presence message. */
  receive(sender: string, body: unknown): boolean {
    const message = parsePresence(body)
    if (message === undefined) return false
    switch (message.t) {
      case 'pq':
        this.#answer(sender, message)
        break
      case 'pu':
        for (const room of message.r) this.#removeWatcher(key(message.ns, room), sender)
        break
      case 'ps':
        this.#answered(sender, message)
        break
      case 'pd':
        this.#diff(sender, message)
    }
    return true
  }

  /** A node started or reconnected: it watches nothing until it asks again, and its part of every watched room is asked for. */
  hello(sender: string): void {
    for (const out of [...this.#outgoing.values()]) this.#removeWatcher(key(out.ns, out.room), sender)
    this.#askAgain(sender)
  }

  /** A node was heard from for the first time (or again after it left): its part of every watched room is asked for. */
  nodeJoined(nodeId: string): void {
    this.#askAgain(nodeId)
  }

  /** Another node's broadcasts were lost on the way here: its presence diffs may have been too. */
  lost(sender: string): void {
    this.#askAgain(sender)
  }

  /** A node left the cluster (goodbye, or silent for `nodeTimeoutMs`): its connections leave every view. */
  nodeGone(nodeId: string): void {
    for (const out of [...this.#outgoing.values()]) this.#removeWatcher(key(out.ns, out.room), nodeId)
    for (const incoming of this.#incoming.values()) {
      if (this.#host.connected) this.#dropPart(incoming, nodeId)
      else {
        // Silence seen while this node was cut off proves nothing: asked again after the reconnect.
        const part = incoming.parts.get(nodeId)
        if (part) part.synced = false
      }
      this.#answeredFirst(incoming, nodeId)
    }
  }

  /** The bus is connected (first time, or after an outage): every watched room is asked for again, from every node. */
  connected(): void {
    const byNamespace = new Map<string, string[]>()
    const now = Date.now()
    for (const incoming of this.#incoming.values()) {
      for (const part of incoming.parts.values()) this.#unsync(part, now)
      const rooms = byNamespace.get(incoming.ns)
      if (rooms) rooms.push(incoming.room)
      else byNamespace.set(incoming.ns, [incoming.room])
    }
    for (const [ns, rooms] of byNamespace) this.#ask(this.#host.channels.control, ns, rooms)
  }

  close(): void {
    clearInterval(this.#timer)
    for (const incoming of this.#incoming.values()) this.#settleFirst(incoming)
  }

  // --- this node's connections, for the nodes that watch ---

  #changed(ns: string, room: string, id: string, entry: PresenceEntry | undefined): void {
    const out = this.#outgoing.get(key(ns, room))
    if (out === undefined) return
    out.pending.set(id, entry ?? null)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => this.#flush())
  }

  #flush(): void {
    this.#flushScheduled = false
    for (const out of this.#outgoing.values()) {
      if (out.pending.size === 0) continue
      const set: PresenceEntry[] = []
      const del: string[] = []
      for (const [id, entry] of out.pending) {
        if (entry === null) del.push(id)
        else set.push(entry)
      }
      out.pending.clear()
      // Not sent while the broker is away: this node says hello when back, and watchers ask again.
      if (!this.#host.connected) continue
      for (const piece of diffPieces(toWire(set), del)) {
        const body: DiffBody = { t: 'pd', ns: out.ns, r: out.room, e: this.#epoch, s: ++this.#seq, p: out.last, ...piece }
        out.last = body.s
        for (const watcher of out.watchers) this.#host.send(this.#host.channels.node(watcher), body)
      }
    }
  }

  #answer(sender: string, { id, ns, r: rooms, w: watch }: Extract<PresenceBody, { t: 'pq' }>): void {
    const local = this.#host.namespace(ns)?.presence
    for (const room of rooms) {
      let s = 0
      if (watch && local !== undefined) {
        const k = key(ns, room)
        let out = this.#outgoing.get(k)
        if (out === undefined) this.#outgoing.set(k, (out = { ns, room, watchers: new Set(), last: ++this.#seq, pending: new Map() }))
        out.watchers.add(sender)
        s = out.last
      }
      const pieces = chunks(toWire(local?.entries(room) ?? []), MAX_ENTRIES_PER_MESSAGE)
      pieces.forEach((m, i) => {
        const more = i < pieces.length - 1
        this.#host.send(this.#host.channels.node(sender), { t: 'ps', id, ns, r: room, e: this.#epoch, s, m, ...(more ? { more: true as const } : {}) })
      })
    }
  }

  #removeWatcher(k: string, nodeId: string): void {
    const out = this.#outgoing.get(k)
    if (out?.watchers.delete(nodeId) && out.watchers.size === 0) this.#outgoing.delete(k)
  }

  // --- the rooms this node watches ---

  #watch(ns: string, room: string, local: LocalPresence): Promise<void> {
    const incoming: Incoming = { ns, room, local, parts: new Map(), first: undefined }
    this.#incoming.set(key(ns, room), incoming)
    const others = this.#host.nodes()
    if (!this.#host.connected || others.length === 0) return Promise.resolve()
    const now = Date.now()
    for (const nodeId of others) incoming.parts.set(nodeId, newPart(now))
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#settleFirst(incoming), PRESENCE_SYNC_TIMEOUT_MS)
      incoming.first = { expected: new Set(others), resolve, timer }
      if (!this.#ask(this.#host.channels.control, ns, [room])) this.#settleFirst(incoming)
    })
  }

  #unwatch(ns: string, room: string): void {
    const k = key(ns, room)
    const incoming = this.#incoming.get(k)
    if (incoming === undefined) return
    this.#incoming.delete(k)
    this.#settleFirst(incoming)
    this.#host.send(this.#host.channels.control, { t: 'pu', ns, r: [room] })
  }

  /** Asks for this node's part of `rooms` (and to watch them) on `channel`: the control channel (every node) or one node's. */
  #ask(channel: string, ns: string, rooms: readonly string[]): boolean {
    let sent = true
    for (const r of chunks(rooms, MAX_ROOMS_PER_MESSAGE)) {
      sent = this.#host.send(channel, { t: 'pq', id: (this.#nextId = (this.#nextId + 1) % Number.MAX_SAFE_INTEGER), ns, r, w: true }) && sent
    }
    return sent
  }

  /** Asks `nodeId` again for its part of every watched room. */
  #askAgain(nodeId: string): void {
    const byNamespace = new Map<string, string[]>()
    const now = Date.now()
    for (const incoming of this.#incoming.values()) {
      const part = incoming.parts.get(nodeId)
      if (part) this.#unsync(part, now)
      else incoming.parts.set(nodeId, newPart(now))
      const rooms = byNamespace.get(incoming.ns)
      if (rooms) rooms.push(incoming.room)
      else byNamespace.set(incoming.ns, [incoming.room])
    }
    for (const [ns, rooms] of byNamespace) this.#ask(this.#host.channels.node(nodeId), ns, rooms)
  }

  #answered(sender: string, message: Extract<PresenceBody, { t: 'ps' }>): void {
    const incoming = this.#incoming.get(key(message.ns, message.r))
    if (incoming === undefined) return
    let part = incoming.parts.get(sender)
    if (part === undefined) incoming.parts.set(sender, (part = newPart(Date.now())))
    const entries = fromWire(message.m, sender)
    if (message.more) {
      part.partial = part.partial ? part.partial.concat(entries) : entries
      return
    }
    const all = part.partial ? part.partial.concat(entries) : entries
    part.partial = undefined
    // An answer older than what this node applied since (two asks crossed) changes nothing.
    if (!(part.synced && part.epoch === message.e && message.s < part.last)) {
      incoming.local.replace(incoming.room, sender, all)
      part.epoch = message.e
      part.last = message.s
      part.synced = true
      const buffered = part.buffer.sort((a, b) => a.s - b.s)
      part.buffer = []
      for (const diff of buffered) this.#applyDiff(incoming, sender, part, diff)
    }
    this.#answeredFirst(incoming, sender)
  }

  #diff(sender: string, diff: DiffBody): void {
    const incoming = this.#incoming.get(key(diff.ns, diff.r))
    if (incoming === undefined) {
      // The sender thinks this node watches the room (an unwatch got lost): tell it, once per tick.
      const told = `${sender}\0${diff.ns}\0${diff.r}`
      if (!this.#toldUnwatched.has(told)) {
        this.#toldUnwatched.add(told)
        this.#host.send(this.#host.channels.node(sender), { t: 'pu', ns: diff.ns, r: [diff.r] })
      }
      return
    }
    const part = incoming.parts.get(sender)
    if (part === undefined) {
      incoming.parts.set(sender, { ...newPart(Date.now()), buffer: [diff] })
      this.#ask(this.#host.channels.node(sender), incoming.ns, [incoming.room])
      return
    }
    if (!part.synced) return this.#hold(part, diff)
    this.#applyDiff(incoming, sender, part, diff)
  }

  #applyDiff(incoming: Incoming, sender: string, part: Part, diff: DiffBody): void {
    if (diff.e === part.epoch && diff.p === part.last) {
      incoming.local.apply(incoming.room, sender, fromWire(diff.set, sender), diff.del)
      part.last = diff.s
      return
    }
    if (diff.e === part.epoch && diff.s <= part.last) return // already in an answer applied since
    // A diff went missing, or the sender restarted: ask for its part again and hold this one meanwhile.
    this.#unsync(part, Date.now())
    this.#hold(part, diff)
    this.#ask(this.#host.channels.node(sender), incoming.ns, [incoming.room])
  }

  #hold(part: Part, diff: DiffBody): void {
    // Past the bound the answer is newer than any dropped diff anyway; the chain check after it asks again if needed.
    if (part.buffer.length >= MAX_BUFFERED_DIFFS) part.buffer = []
    part.buffer.push(diff)
  }

  #unsync(part: Part, now: number): void {
    part.synced = false
    part.askedAt = now
    part.partial = undefined
  }

  #dropPart(incoming: Incoming, nodeId: string): void {
    incoming.parts.delete(nodeId)
    incoming.local.drop(incoming.room, nodeId)
  }

  #answeredFirst(incoming: Incoming, nodeId: string): void {
    const first = incoming.first
    if (first?.expected.delete(nodeId) && first.expected.size === 0) this.#settleFirst(incoming)
  }

  #settleFirst(incoming: Incoming): void {
    const first = incoming.first
    if (first === undefined) return
    incoming.first = undefined
    clearTimeout(first.timer)
    first.resolve()
  }

  /** Repeats asks left unanswered; drops the parts of nodes that are gone and never answered. */
  #tick(): void {
    this.#toldUnwatched.clear()
    if (!this.#host.connected) return
    const now = Date.now()
    const alive = new Set(this.#host.nodes())
    const again = new Map<string, Map<string, string[]>>() // node → ns → rooms
    for (const incoming of this.#incoming.values()) {
      for (const [nodeId, part] of incoming.parts) {
        if (part.synced || now - part.askedAt < PRESENCE_SYNC_TIMEOUT_MS) continue
        if (!alive.has(nodeId)) {
          this.#dropPart(incoming, nodeId)
          continue
        }
        part.askedAt = now
        let namespaces = again.get(nodeId)
        if (!namespaces) again.set(nodeId, (namespaces = new Map()))
        const rooms = namespaces.get(incoming.ns)
        if (rooms) rooms.push(incoming.room)
        else namespaces.set(incoming.ns, [incoming.room])
      }
    }
    for (const [nodeId, namespaces] of again) {
      for (const [ns, rooms] of namespaces) this.#ask(this.#host.channels.node(nodeId), ns, rooms)
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

function key(ns: string, room: string): string {
  return `${ns}\0${room}`
}

function newPart(now: number): Part {
  return { epoch: '', last: 0, synced: false, askedAt: now, buffer: [], partial: undefined }
}
