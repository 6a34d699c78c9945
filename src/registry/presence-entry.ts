import type { PresenceConnection, PresenceMember } from '../contracts/presence.js'
import { GatewayError } from '../errors/gateway-error.js'

/** One connection in a room's presence, as nodes keep and exchange it. */
export interface PresenceEntry {
  readonly id: string
  readonly nodeId: string
  readonly userId: string | undefined
  readonly meta?: unknown
}

/** The largest presence meta accepted by `join(room, { meta })`, in bytes of JSON. */
export const MAX_PRESENCE_META_BYTES = 1024

/**
 * Checks `join(room, { meta })` and returns a copy that later changes to the caller's object
 * cannot reach: a JSON value of at most `MAX_PRESENCE_META_BYTES`.
 */
export function copyPresenceMeta(meta: unknown): unknown {
  let json: string | undefined
  try {
    json = JSON.stringify(meta)
  } catch (cause) {
    throw new GatewayError('INVALID_ARGUMENT', 'Presence meta must be JSON-serializable', { cause })
  }
  if (json === undefined) throw new GatewayError('INVALID_ARGUMENT', 'Presence meta must be a JSON value')
  if (Buffer.byteLength(json) > MAX_PRESENCE_META_BYTES) {
    throw new GatewayError('INVALID_ARGUMENT', `Presence meta must be at most ${MAX_PRESENCE_META_BYTES} bytes of JSON`)
  }
  return JSON.parse(json)
}

/** The member an entry belongs to: its user, or the connection itself. Prefixed so a user id never equals a connection's key. */
export function memberKey(entry: PresenceEntry): string {
  return entry.userId === undefined ? `c${entry.id}` : `u${entry.userId}`
}

export function presenceConnection(entry: PresenceEntry): PresenceConnection {
  return entry.meta === undefined ? { id: entry.id, nodeId: entry.nodeId } : { id: entry.id, nodeId: entry.nodeId, meta: entry.meta }
}

/** The entries of one member as a `PresenceMember`. */
export function toMember(userId: string | undefined, entries: Iterable<PresenceEntry>): PresenceMember {
  const connections: PresenceConnection[] = []
  for (const entry of entries) connections.push(presenceConnection(entry))
  return { userId: userId ?? null, connections }
}

/** Entries grouped into members: one per user id, one per connection without a user id. */
export function groupMembers(entries: Iterable<PresenceEntry>): PresenceMember[] {
  const groups = new Map<string, PresenceEntry[]>()
  for (const entry of entries) {
    const key = memberKey(entry)
    const group = groups.get(key)
    if (group) group.push(entry)
    else groups.set(key, [entry])
  }
  const members: PresenceMember[] = []
  for (const group of groups.values()) members.push(toMember(group[0]!.userId, group))
  return members
}
