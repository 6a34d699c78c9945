import { isSendableCloseCode } from '../protocol/close-codes.js'
import type { ClusterQuery } from '../registry/namespace-adapter.js'
import type { PresenceEntry } from '../registry/presence-entry.js'
import { parseQueryEntries } from './presence-messages.js'

/**
 * Control messages between nodes (JSON, rare): liveness and queries.
 * - `hello` on start and after a reconnect, `alive` every heartbeat, `bye` on close;
 * - `req` asks every node a `ClusterQuery`; each answers `res` on the asker's node channel;
 * - `hist` names rooms a join turned history on for (`[room, size, ttlMs]`): to every node when it
 *   happens, and to a node that says `hello`, so every node's publishes to them are stored.
 *
 * Room presence has messages of its own (`presence-messages.ts`).
 */
export type ControlBody =
  | { readonly t: 'hello' }
  | { readonly t: 'alive' }
  | { readonly t: 'bye' }
  | { readonly t: 'req'; readonly id: number; readonly ns: string; readonly q: ClusterQuery }
  | { readonly t: 'res'; readonly id: number; readonly v: number | string[] | PresenceEntry[] }
  | { readonly t: 'hist'; readonly ns: string; readonly rooms: ReadonlyArray<readonly [room: string, size: number, ttlMs: number]> }

const MAX_NAME = 1024

/** Checks a control body received from the broker; undefined if it is not one this version understands. */
export function parseControl(body: unknown): ControlBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { t } = body as { t?: unknown }
  switch (t) {
    case 'hello':
    case 'alive':
    case 'bye':
      return { t }
    case 'req': {
      const { id, ns, q } = body as { id?: unknown; ns?: unknown; q?: unknown }
      if (!isId(id) || !isName(ns)) return undefined
      const query = parseQuery(q)
      return query && { t, id, ns, q: query }
    }
    case 'res': {
      const { id, v } = body as { id?: unknown; v?: unknown }
      if (!isId(id)) return undefined
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { t, id, v }
      if (Array.isArray(v) && v.every((item) => typeof item === 'string')) return { t, id, v: v as string[] }
      const entries = parseQueryEntries(v)
      return entries && { t, id, v: entries }
    }
    case 'hist': {
      const { ns, rooms } = body as { ns?: unknown; rooms?: unknown }
      if (!isName(ns) || !Array.isArray(rooms) || rooms.length > MAX_HISTORY_ROOMS_PER_MESSAGE) return undefined
      if (!rooms.every((r) => Array.isArray(r) && r.length === 3 && isName(r[0]) && isPositive(r[1]) && isPositive(r[2]))) return undefined
      return { t, ns, rooms: rooms as Array<[string, number, number]> }
    }
    default:
      return undefined
  }
}

/** Rooms one `hist` message names at most. */
export const MAX_HISTORY_ROOMS_PER_MESSAGE = 500

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}

function parseQuery(value: unknown): ClusterQuery | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const q = value as Record<string, unknown>
  switch (q.kind) {
    case 'roomSize':
    case 'roomMembers':
    case 'presence':
      return isName(q.room) ? { kind: q.kind, room: q.room } : undefined
    case 'disconnectUser':
      if (!isName(q.userId) || typeof q.reason !== 'string' || q.reason.length > 123) return undefined
      if (typeof q.code !== 'number' || !isSendableCloseCode(q.code)) return undefined
      return { kind: 'disconnectUser', userId: q.userId, code: q.code, reason: q.reason }
    default:
      return undefined
  }
}

/** Whether an answer has the shape its query asks for: a count, connection ids, or presence entries (an empty list fits either list). */
export function answerFits(query: ClusterQuery, value: number | string[] | PresenceEntry[]): boolean {
  if (query.kind === 'roomSize' || query.kind === 'disconnectUser') return typeof value === 'number'
  if (!Array.isArray(value)) return false
  return value.length === 0 || (typeof value[0] === 'string') === (query.kind === 'roomMembers')
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME
}
