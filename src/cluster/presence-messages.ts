import type { LocalNamespace } from '../registry/namespace-adapter.js'
import type { PresenceEntry } from '../registry/presence-entry.js'
import type { ClusterChannels } from './cluster-channels.js'

/** What the two sides of cluster presence need of the adapter to exchange these messages. */
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

/**
 * Presence messages between nodes: control messages (JSON), on the control channel or a node's
 * own channel. Entries are `{ id, userId?, meta? }` objects (`nodeId` too in a query answer,
 * where answers of several nodes are merged).
 *
 * - `pq` asks for a node's connections in some rooms; with `w` the asker also watches them, so
 *   the answering node sends it every later change. On the control channel (every node) or on one
 *   node's channel.
 * - `ps` answers one room of a `pq` on the asker's node channel: the entries (in chunks of
 *   `MAX_ENTRIES_PER_MESSAGE`, `more` on all but the last) and `s`, the position of the node's
 *   chain of diffs for that room the entries include.
 * - `pd` is a node's changes in a room, sent to each node watching it: `set` upserts, `del`
 *   removes; `s` is its position and `p` the position of the node's previous `pd` for the room,
 *   so a receiver sees at once when one went missing. `e` is the sender's epoch, random per
 *   process, so a restarted node with the same id is never read as continuing its predecessor.
 * - `pu` says the sender no longer watches some rooms.
 */
export type PresenceBody =
  | { readonly t: 'pq'; readonly id: number; readonly ns: string; readonly r: readonly string[]; readonly w: boolean }
  | {
      readonly t: 'ps'
      readonly id: number
      readonly ns: string
      readonly r: string
      readonly e: string
      readonly s: number
      readonly m: readonly WireEntry[]
      readonly more?: true
    }
  | {
      readonly t: 'pd'
      readonly ns: string
      readonly r: string
      readonly e: string
      readonly s: number
      readonly p: number
      readonly set: readonly WireEntry[]
      readonly del: readonly string[]
    }
  | { readonly t: 'pu'; readonly ns: string; readonly r: readonly string[] }

export type DiffBody = Extract<PresenceBody, { t: 'pd' }>

/** An entry as sent: the sender's connections leave `nodeId` out (it is the sender). */
export interface WireEntry {
  readonly id: string
  readonly userId?: string
  readonly meta?: unknown
  readonly nodeId?: string
}

/** Entries and rooms per message, so a big room never makes one message too large for a broker (NATS: 1 MB). */
export const MAX_ENTRIES_PER_MESSAGE = 200
export const MAX_ROOMS_PER_MESSAGE = 100

const MAX_NAME = 1024

/** The entries of `nodeId`'s connections, as they go on the wire. */
export function toWire(entries: readonly PresenceEntry[]): WireEntry[] {
  return entries.map((entry) => {
    const wire: { id: string; userId?: string; meta?: unknown } = { id: entry.id }
    if (entry.userId !== undefined) wire.userId = entry.userId
    if (entry.meta !== undefined) wire.meta = entry.meta
    return wire
  })
}

/** Received entries of `nodeId`'s connections. */
export function fromWire(entries: readonly WireEntry[], nodeId: string): PresenceEntry[] {
  return entries.map((wire) => (wire.meta === undefined ? { id: wire.id, nodeId, userId: wire.userId } : { id: wire.id, nodeId, userId: wire.userId, meta: wire.meta }))
}

/** The key of a room of a namespace in maps. */
export function roomKey(ns: string, room: string): string {
  return `${ns}\0${room}`
}

/** Splits a list into pieces of at most `size` (one empty piece for an empty list). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (items.length <= size) return [items as T[]]
  const pieces: T[][] = []
  for (let at = 0; at < items.length; at += size) pieces.push(items.slice(at, at + size))
  return pieces
}

/** Checks a control body received from the broker; undefined if it is not a presence message this version reads. */
export function parsePresence(body: unknown): PresenceBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const b = body as Record<string, unknown>
  if (!isName(b.ns)) return undefined
  switch (b.t) {
    case 'pq':
      return isPosition(b.id) && isNames(b.r) && typeof b.w === 'boolean' ? { t: 'pq', id: b.id, ns: b.ns, r: b.r, w: b.w } : undefined
    case 'pu':
      return isNames(b.r) ? { t: 'pu', ns: b.ns, r: b.r } : undefined
    case 'ps': {
      const m = parseWireEntries(b.m)
      if (!isPosition(b.id) || !isName(b.r) || !isName(b.e) || !isPosition(b.s) || m === undefined) return undefined
      return { t: 'ps', id: b.id, ns: b.ns, r: b.r, e: b.e, s: b.s, m, ...(b.more === true ? { more: true } : {}) }
    }
    case 'pd': {
      const set = parseWireEntries(b.set)
      if (!isName(b.r) || !isName(b.e) || !isPosition(b.s) || !isPosition(b.p) || set === undefined || !isNames(b.del, true)) return undefined
      return { t: 'pd', ns: b.ns, r: b.r, e: b.e, s: b.s, p: b.p, set, del: b.del }
    }
    default:
      return undefined
  }
}

/** Entries of a query answer (`res` of a `presence` query): each names its node. */
export function parseQueryEntries(value: unknown): PresenceEntry[] | undefined {
  const wire = parseWireEntries(value)
  if (wire === undefined || wire.some((entry) => entry.nodeId === undefined)) return undefined
  return wire.map((entry) => ({ ...entry, nodeId: entry.nodeId!, userId: entry.userId }))
}

function parseWireEntries(value: unknown): WireEntry[] | undefined {
  if (!Array.isArray(value)) return undefined
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return undefined
    const { id, userId, nodeId } = item as Record<string, unknown>
    if (!isName(id) || (userId !== undefined && !isName(userId)) || (nodeId !== undefined && !isName(nodeId))) return undefined
  }
  return value as WireEntry[]
}

function isNames(value: unknown, allowEmpty = false): value is string[] {
  return Array.isArray(value) && (allowEmpty || value.length > 0) && value.every(isName)
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME
}

function isPosition(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
