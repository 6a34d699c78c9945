import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { LocalNamespace } from '../registry/namespace-adapter.js'
import type { LocalPresence } from '../registry/presence-adapter.js'
import type { PresenceEntry } from '../registry/presence-entry.js'
import { PresenceView } from '../registry/presence-view.js'
import { ClusterChannels } from './cluster-channels.js'
import { ClusterPresence } from './cluster-presence.js'
import type { PresenceBody } from './presence-messages.js'

// Two or more ClusterPresence instances over a network the test holds in its hand: every message
// waits in a queue until the test delivers, drops or reorders it.

const channels = new ClusterChannels('t')

interface Sent {
  readonly from: string
  readonly channel: string
  readonly body: PresenceBody
}

class Network {
  readonly queue: Sent[] = []
  readonly nodes = new Map<string, Node>()

  /** Delivers queued messages (those `pick` selects, in order) until none is left; returns how many. */
  deliver(pick: (sent: Sent) => boolean = () => true): number {
    let count = 0
    for (let i = 0; i < this.queue.length; ) {
      const sent = this.queue[i]!
      if (!pick(sent)) {
        i++
        continue
      }
      this.queue.splice(i, 1)
      count++
      for (const node of this.nodes.values()) {
        if (node.id === sent.from) continue
        if (sent.channel === channels.control || sent.channel === channels.node(node.id)) node.presence.receive(sent.from, JSON.parse(JSON.stringify(sent.body)))
      }
    }
    return count
  }

  drop(pick: (sent: Sent) => boolean): number {
    const before = this.queue.length
    this.queue.splice(0, this.queue.length, ...this.queue.filter((sent) => !pick(sent)))
    return before - this.queue.length
  }
}

class Node {
  readonly entries = new Map<string, PresenceEntry[]>()
  readonly views = new Map<string, PresenceView>()
  readonly presence: ClusterPresence
  readonly adapter

  constructor(
    readonly id: string,
    readonly network: Network,
  ) {
    network.nodes.set(id, this)
    const local: LocalPresence = {
      entries: (room) => this.entries.get(room) ?? [],
      apply: (room, nodeId, set, del) => {
        for (const id of del) this.views.get(room)?.remove(nodeId, id)
        for (const entry of set) this.views.get(room)?.add(entry)
      },
      replace: (room, nodeId, entries) => this.views.get(room)?.replaceNode(nodeId, entries),
      drop: (room, nodeId) => void this.views.get(room)?.dropNode(nodeId),
    }
    const namespace = { name: '/', nodeId: id, presence: local } as unknown as LocalNamespace
    this.presence = new ClusterPresence({
      channels,
      connected: true,
      send: (channel, body) => (network.queue.push({ from: id, channel, body }), true),
      nodes: () => [...network.nodes.keys()].filter((n) => n !== id),
      namespace: () => namespace,
    })
    this.adapter = this.presence.forNamespace('/', namespace)
  }

  /** Local connections join a room (their diffs go out on the next tick). */
  join(room: string, ids: string[]): void {
    const list = this.entries.get(room) ?? []
    for (const id of ids) {
      const entry = { id, nodeId: this.id, userId: id }
      list.push(entry)
      this.adapter.changed(room, id, entry)
    }
    this.entries.set(room, list)
  }

  leave(room: string, ids: string[]): void {
    this.entries.set(room, (this.entries.get(room) ?? []).filter((entry) => !ids.includes(entry.id)))
    for (const id of ids) this.adapter.changed(room, id, undefined)
  }

  watch(room: string): Promise<void> {
    this.views.set(room, new PresenceView())
    return this.adapter.watch(room)
  }

  /** Ids of the connections of other nodes in a watched room. */
  seen(room: string): string[] {
    return this.views
      .get(room)!
      .members()
      .flatMap((m) => m.connections.map((c) => c.id))
      .sort()
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))
const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`)

test('a big room is answered in chunks, and a tick of many changes travels in pieces of one chain', async () => {
  const network = new Network()
  const a = new Node('a', network)
  const b = new Node('b', network)
  b.join('r', ids('b', 450))
  const watched = a.watch('r')
  network.deliver((s) => s.body.t === 'pq')
  assert.deepEqual(network.queue.map((s) => s.body.t === 'ps' && s.body.m.length), [200, 200, 50], 'the answer in chunks of 200')
  network.deliver()
  await watched
  assert.deepEqual(a.seen('r'), ids('b', 450))

  b.join('r', ids('c', 300))
  b.leave('r', ids('b', 100))
  await tick()
  const pieces = network.queue.filter((s) => s.body.t === 'pd').length
  assert.equal(pieces, 3, '300 joins and 100 leaves: two pieces of joins, one of leaves')
  network.deliver()
  assert.deepEqual(a.seen('r'), [...ids('b', 450).slice(100), ...ids('c', 300)].sort())
})

test('diffs that overtake the answer are held and applied after it; one that went missing is noticed at the next', async () => {
  const network = new Network()
  const a = new Node('a', network)
  const b = new Node('b', network)
  b.join('r', ['b-1'])
  const watched = a.watch('r')
  network.deliver((s) => s.body.t === 'pq') // b registers a and answers; the answer waits
  b.join('r', ['b-2'])
  await tick()
  network.deliver((s) => s.body.t === 'pd') // the diff first: a holds it
  assert.deepEqual(a.seen('r'), [])
  network.deliver()
  await watched
  assert.deepEqual(a.seen('r'), ['b-1', 'b-2'])

  b.join('r', ['b-3'])
  await tick()
  assert.equal(network.drop((s) => s.body.t === 'pd'), 1)
  b.leave('r', ['b-1'])
  await tick()
  network.deliver() // the next diff does not follow the last one applied: a asks b again
  assert.deepEqual(a.seen('r'), ['b-2', 'b-3'])
})

test('a node that restarts under the same id is asked again at its hello; its answer replaces its old part', async () => {
  const network = new Network()
  const a = new Node('a', network)
  const b = new Node('b', network)
  b.join('r', ['old-1', 'old-2'])
  const watched = a.watch('r')
  network.deliver()
  await watched
  assert.deepEqual(a.seen('r'), ['old-1', 'old-2'])

  const b2 = new Node('b', network) // same id, new epoch, no memory of a's watch
  b2.join('r', ['new-1'])
  a.presence.hello('b')
  network.deliver()
  assert.deepEqual(a.seen('r'), ['new-1'])
  // b2 now sends a its changes: a was registered by the ask.
  b2.join('r', ['new-2'])
  await tick()
  network.deliver()
  assert.deepEqual(a.seen('r'), ['new-1', 'new-2'])
})

test('a node gone drops its part; an unwatch stops its diffs; a diff for a room no longer watched is answered with an unwatch', async () => {
  const network = new Network()
  const a = new Node('a', network)
  const b = new Node('b', network)
  const c = new Node('c', network)
  b.join('r', ['b-1'])
  c.join('r', ['c-1'])
  const watched = a.watch('r')
  network.deliver()
  await watched
  assert.deepEqual(a.seen('r'), ['b-1', 'c-1'])
  a.presence.nodeGone('c')
  assert.deepEqual(a.seen('r'), ['b-1'])

  a.adapter.unwatch('r')
  network.drop((s) => s.body.t === 'pu') // the unwatch is lost: b still sends
  b.join('r', ['b-2'])
  await tick()
  network.deliver((s) => s.body.t === 'pd')
  assert.deepEqual(network.queue.map((s) => [s.from, s.body.t]), [['a', 'pu']], 'a tells b it does not watch')
  network.deliver()
  b.join('r', ['b-3'])
  await tick()
  assert.equal(network.queue.length, 0, 'b sends nothing more')
  assert.ok(c)
})
