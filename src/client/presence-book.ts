// Pure module: the client's browser bundle includes it, so no Node built-ins here.
import type { PresenceConnection, PresenceMember } from '../index.js'

/** A change in a watched room's presence, as `onPresence` listeners get it. */
export interface PresenceChange {
  readonly room: string
  /** Members who came (on the first frame of a watch: everyone not known before). */
  readonly joins: readonly PresenceMember[]
  /** Members who are gone, as they were last reported. */
  readonly leaves: readonly PresenceMember[]
  /** Everyone in the room now. */
  readonly members: readonly PresenceMember[]
}

/**
 * The members of each room the gateway sends presence for (`$presence` frames), kept per user.
 * A frame with `members` (the first after every join, so after every reconnect too) replaces
 * the room's list and is reported as what changed against the list the client had, so a
 * reconnect shows only who really came or went meanwhile.
 */
export class PresenceBook {
  readonly #rooms = new Map<string, Map<string, PresenceMember>>()

  /** Applies a frame's data; undefined for data that is not a presence frame. */
  apply(data: unknown): PresenceChange | undefined {
    if (typeof data !== 'object' || data === null) return undefined
    const { room, members, joins, leaves } = data as { room?: unknown; members?: unknown; joins?: unknown; leaves?: unknown }
    if (typeof room !== 'string') return undefined
    if (members !== undefined) {
      if (!isMemberList(members)) return undefined
      const previous = this.#rooms.get(room) ?? new Map<string, PresenceMember>()
      const next = new Map(members.map((member) => [keyOf(member), member]))
      this.#rooms.set(room, next)
      return {
        room,
        joins: members.filter((member) => !previous.has(keyOf(member))),
        leaves: [...previous.values()].filter((member) => !next.has(keyOf(member))),
        members,
      }
    }
    if (!isMemberList(joins) || !isMemberList(leaves)) return undefined
    let current = this.#rooms.get(room)
    if (!current) this.#rooms.set(room, (current = new Map()))
    for (const member of leaves) current.delete(keyOf(member))
    for (const member of joins) current.set(keyOf(member), member)
    return { room, joins, leaves, members: [...current.values()] }
  }

  members(room: string): PresenceMember[] {
    return [...(this.#rooms.get(room)?.values() ?? [])]
  }

  /** Forgets a room (the client left it); returns the change that empties it, if it had members. */
  forget(room: string): PresenceChange | undefined {
    const members = this.#rooms.get(room)
    this.#rooms.delete(room)
    if (members === undefined || members.size === 0) return undefined
    return { room, joins: [], leaves: [...members.values()], members: [] }
  }
}

function keyOf(member: PresenceMember): string {
  return member.userId === null ? `c${member.connections[0]?.id}` : `u${member.userId}`
}

function isMemberList(value: unknown): value is PresenceMember[] {
  return Array.isArray(value) && value.every(isMember)
}

function isMember(value: unknown): value is PresenceMember {
  if (typeof value !== 'object' || value === null) return false
  const { userId, connections } = value as { userId?: unknown; connections?: unknown }
  if (userId !== null && typeof userId !== 'string') return false
  if (!Array.isArray(connections) || connections.length === 0) return false
  return connections.every((c: Partial<PresenceConnection> | null) => typeof c?.id === 'string' && typeof c.nodeId === 'string')
}
