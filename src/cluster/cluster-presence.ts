import { randomInt } from 'node:crypto'
import type { LocalNamespace } from '../registry/namespace-adapter.js'
import type { NamespacePresenceAdapter } from '../registry/presence-adapter.js'
import { PresenceFollower } from './presence-follower.js'
import { parsePresence, type PresenceHost } from './presence-messages.js'
import { PresencePublisher } from './presence-publisher.js'

/**
 * Presence across nodes, node-owned (like Phoenix's tracker): each node is the authority on its
 * own connections and no broker stores anything. A node that watches a room (has a local
 * watcher) asks every node for its connections in it and from then on receives each node's
 * changes, numbered in a chain, so a lost one is noticed at the next and that node's part is
 * asked for again (`PresenceFollower`); each node answers and sends its changes to the nodes
 * that watch (`PresencePublisher`). Everything else is repair, driven by the cluster adapter:
 *
 * - a node that stops heartbeating (killed, cut off) leaves the cluster after `nodeTimeoutMs`
 *   (`nodeLeft`): its connections are dropped from every view, and watchers get their leaves;
 * - a node that says `hello` (started, or reconnected to the broker) is asked again for every
 *   watched room, and forgets who watched its rooms (a watcher that reconnected asks again);
 * - after this node's own (re)connect it asks every node again for every watched room; a node
 *   that left the cluster meanwhile and does not answer is dropped;
 * - a counted loss of broadcasts from a sender asks that sender again.
 *
 * Each process has a random epoch: answers and diffs carry it, so a node restarted with the same
 * id is never read as continuing its predecessor's chain.
 */
export class ClusterPresence {
  readonly #publisher: PresencePublisher
  readonly #follower: PresenceFollower
  #timer: NodeJS.Timeout | undefined

  constructor(host: PresenceHost) {
    this.#publisher = new PresencePublisher(host, randomInt(2 ** 47).toString(36))
    this.#follower = new PresenceFollower(host)
  }

  /** Starts repeating unanswered asks every `tickMs` (the adapter's heartbeat). */
  start(tickMs: number): void {
    this.#timer ??= setInterval(() => this.#follower.tick(), tickMs)
    this.#timer.unref()
  }

  /** The presence part of a namespace adapter. */
  forNamespace(ns: string, local: LocalNamespace): NamespacePresenceAdapter {
    return {
      changed: (room, id, entry) => this.#publisher.changed(ns, room, id, entry),
      watch: (room) => this.#follower.watch(ns, room, local.presence),
      unwatch: (room) => this.#follower.unwatch(ns, room),
    }
  }

  /** A control message; false if it is not a presence message. */
  receive(sender: string, body: unknown): boolean {
    const message = parsePresence(body)
    if (message === undefined) return false
    switch (message.t) {
      case 'pq':
        this.#publisher.answer(sender, message)
        break
      case 'pu':
        this.#publisher.unwatched(sender, message.ns, message.r)
        break
      case 'ps':
        this.#follower.answered(sender, message)
        break
      case 'pd':
        this.#follower.diff(sender, message)
    }
    return true
  }

  /** A node started or reconnected: it watches nothing until it asks again, and its part of every watched room is asked for. */
  hello(sender: string): void {
    this.#publisher.forget(sender)
    this.#follower.askAgain(sender, true)
  }

  /** A node was heard from for the first time (or again after it left): its part of every watched room is asked for. */
  nodeJoined(nodeId: string): void {
    this.#follower.askAgain(nodeId)
  }

  /** Another node's broadcasts were lost on the way here: its presence diffs may have been too. */
  lost(sender: string): void {
    this.#follower.askAgain(sender)
  }

  /** A node left the cluster (goodbye, or silent for `nodeTimeoutMs`): its connections leave every view. */
  nodeGone(nodeId: string): void {
    this.#publisher.forget(nodeId)
    this.#follower.nodeGone(nodeId)
  }

  /** The bus is connected (first time, or after an outage): every watched room is asked for again, from every node. */
  connected(): void {
    this.#follower.askEveryone()
  }

  close(): void {
    clearInterval(this.#timer)
    this.#follower.close()
  }
}
