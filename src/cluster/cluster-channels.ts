import type { BroadcastTarget } from '../registry/namespace-adapter.js'

/**
 * Channel names of the cluster protocol. Each is `<prefix>.<kind>[.<token>...]`
 * where every token is escaped to `[A-Za-z0-9_\-!~'()%]`, so the same names are
 * valid NATS subjects (no `.`, `*`, `>` or whitespace inside a token) and stay
 * readable in Redis (`PUBSUB CHANNELS gangway.*`).
 *
 * - `<p>.ctl` — presence heartbeats and cross-node queries; every node;
 * - `<p>.node.<nodeId>` — one node: connection targets and query answers;
 * - `<p>.all.<ns>` — broadcasts to a whole namespace; every node with that namespace;
 * - `<p>.room.<ns>.<room>` — nodes with local members of the room;
 * - `<p>.user.<ns>.<userId>` — nodes with local connections of the user.
 */
export class ClusterChannels {
  readonly control: string
  readonly #prefix: string

  constructor(prefix: string) {
    this.#prefix = prefix
    this.control = `${prefix}.ctl`
  }

  node(nodeId: string): string {
    return `${this.#prefix}.node.${escapeToken(nodeId)}`
  }

  all(namespace: string): string {
    return `${this.#prefix}.all.${escapeToken(namespace)}`
  }

  room(namespace: string, room: string): string {
    return `${this.#prefix}.room.${escapeToken(namespace)}.${escapeToken(room)}`
  }

  user(namespace: string, userId: string): string {
    return `${this.#prefix}.user.${escapeToken(namespace)}.${escapeToken(userId)}`
  }
}

const MAX_CACHED_CHANNELS = 10_000

/** A room's channel name, cached: broadcasts to the same rooms compute it once. */
export function roomChannel(channels: ClusterChannels, namespace: string, cache: Map<string, string>, room: string): string {
  let channel = cache.get(room)
  if (channel === undefined) {
    if (cache.size >= MAX_CACHED_CHANNELS) cache.clear()
    channel = channels.room(namespace, room)
    cache.set(room, channel)
  }
  return channel
}

/**
 * The channels a broadcast from node `sender` is published to, in a fixed
 * order: the namespace's "all" channel when it names no rooms, users or
 * connections; otherwise each room's, each user's, and the node channel of
 * each other node owning a target connection, without repeats. The sender
 * numbers the broadcast per channel in this order, and a receiver computes
 * the same list to find the number of the channel it got it on.
 */
export function broadcastChannels(channels: ClusterChannels, namespace: string, roomCache: Map<string, string>, target: BroadcastTarget, sender: string): string[] {
  const { rooms, users, connections } = target
  if (rooms.length + users.length + connections.length === 0) return [channels.all(namespace)]
  let list: string[] = []
  for (const room of rooms) list.push(roomChannel(channels, namespace, roomCache, room))
  for (const user of users) list.push(channels.user(namespace, user))
  if (connections.length > 0) {
    const nodes = new Set<string>()
    for (const id of connections) {
      const node = nodeOfConnection(id)
      if (node !== undefined && node !== sender) nodes.add(node)
    }
    for (const node of nodes) list.push(channels.node(node))
  }
  if (list.length > 1) list = [...new Set(list)]
  return list
}

const SAFE_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/

/** Whether `prefix` can start every channel name (dot-separated tokens of `[A-Za-z0-9_-]`). */
export function isValidChannelPrefix(prefix: unknown): prefix is string {
  return typeof prefix === 'string' && prefix.length <= 64 && SAFE_PREFIX.test(prefix)
}

/** Percent-encodes a name into one token; `.`, `*` and `>` are escaped too (NATS wildcards and separators). */
export function escapeToken(value: string): string {
  if (value.length === 0) return '%'
  let encoded: string
  try {
    encoded = encodeURIComponent(value)
  } catch {
    // A lone surrogate; "%%" never starts an encodeURIComponent output, so this cannot collide.
    return '%%' + Buffer.from(value, 'utf16le').toString('hex')
  }
  return /[.*]/.test(encoded) ? encoded.replace(/\./g, '%2E').replace(/\*/g, '%2A') : encoded
}

/** The node id of a connection id `<nodeId>-<counter>`, or undefined for an id of another shape. */
export function nodeOfConnection(connectionId: string): string | undefined {
  const dash = connectionId.lastIndexOf('-')
  return dash > 0 ? connectionId.slice(0, dash) : undefined
}
