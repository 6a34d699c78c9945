// Presence as handlers, the server API and the wire see it. The same shapes travel in `$presence` frames.

/** One connection of a presence member. */
export interface PresenceConnection {
  /** The connection id (`<nodeId>-<n>`). */
  readonly id: string
  /** The node the connection lives on. */
  readonly nodeId: string
  /** What the connection's `join(room, { meta })` set, if anything. */
  readonly meta?: unknown
}

/**
 * Who is in a room: one member per user id, with each of the user's connections in the room
 * (several tabs or devices are one member). A connection without a user id is a member of its
 * own, with `userId: null` and that one connection.
 */
export interface PresenceMember {
  readonly userId: string | null
  readonly connections: readonly PresenceConnection[]
}

/**
 * The data of a `$presence` frame. The first one a watcher gets for a room carries `members`
 * (everyone in the room); the following ones carry what changed since, per user, coalesced per
 * tick: `joins` (members that were absent: the first connection of a user) and `leaves` (members
 * that are gone: the last connection of a user, as they were last reported).
 */
export type PresenceFrameData =
  | { readonly room: string; readonly members: readonly PresenceMember[] }
  | { readonly room: string; readonly joins: readonly PresenceMember[]; readonly leaves: readonly PresenceMember[] }
