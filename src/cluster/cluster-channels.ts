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
