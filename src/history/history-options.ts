import type { HistoryStore, RoomHistoryConfig } from '../contracts/history.js'
import { checkPositiveInteger, invalidOption, withoutUndefined } from '../errors/option-checks.js'

/** Which rooms keep history, and how much. */
export interface HistoryRoomRule {
  /** A room name pattern (`*` matches any run of characters), a RegExp, or a predicate. */
  match: string | RegExp | ((room: string) => boolean)
  /** Messages kept per room. @default 1000 */
  size?: number
  /** How long a message is kept, in milliseconds. @default 600000 (10 minutes) */
  ttlMs?: number
}

/**
 * The `history` option of `createGateway`: message history and recovery for chosen rooms. A room
 * that no rule matches (and no join turned on) has no history and costs what it cost before.
 */
export interface HistoryOptions {
  /** Rooms with history; the first matching rule applies. @default [] (only per-join `history`) */
  rooms?: readonly HistoryRoomRule[]
  /**
   * Where histories live. @default the cluster adapter's store (Redis Streams for `redisCluster`,
   * JetStream for `natsCluster`), or in memory without a cluster adapter
   */
  store?: HistoryStore
  /** Most messages replayed for one join; more missed than that answers `too-far-behind`. @default 1000 */
  maxReplayMessages?: number
  /** Most bytes of data replayed for one join; more answers `too-far-behind`. @default 1048576 (1 MiB) */
  maxReplayBytes?: number
  /** Replays a node runs at once; more wait in a queue. @default 256 */
  maxConcurrentReplays?: number
  /** Replays waiting beyond `maxConcurrentReplays`; more are answered `too-many-replays`. @default 10000 */
  maxQueuedReplays?: number
  /**
   * Live messages held for one recovering connection while its replay is read and sent; more
   * close it with 1013 (it resumes from where it was on reconnect). @default 1000
   */
  maxHeldLive?: number
  /** How long a store read may take before the join is answered `store-unavailable`. @default 5000 */
  readTimeoutMs?: number
}

/** The history of a room matched by a rule without `size`/`ttlMs`. */
export const DEFAULT_ROOM_HISTORY: RoomHistoryConfig = Object.freeze({ size: 1000, ttlMs: 600_000 })

export const DEFAULT_HISTORY_OPTIONS = Object.freeze({
  maxReplayMessages: 1000,
  maxReplayBytes: 1024 * 1024,
  maxConcurrentReplays: 256,
  maxQueuedReplays: 10_000,
  maxHeldLive: 1000,
  readTimeoutMs: 5000,
})

/** A rule with its pattern compiled. */
export interface ResolvedHistoryRule {
  readonly matches: (room: string) => boolean
  readonly config: RoomHistoryConfig
}

/** `HistoryOptions` after defaults and checks; frozen. */
export interface ResolvedHistoryOptions {
  readonly rules: readonly ResolvedHistoryRule[]
  readonly store: HistoryStore | undefined
  readonly maxReplayMessages: number
  readonly maxReplayBytes: number
  readonly maxConcurrentReplays: number
  readonly maxQueuedReplays: number
  readonly maxHeldLive: number
  readonly readTimeoutMs: number
}

/** Checks `history` and applies defaults; throws `CONFIG_INVALID` naming the option. */
export function resolveHistoryOptions(options: HistoryOptions): ResolvedHistoryOptions {
  if (options === null || typeof options !== 'object') invalidOption('history', 'must be an object')
  const { rooms = [], store, ...limits } = options
  const resolved = { ...DEFAULT_HISTORY_OPTIONS, ...withoutUndefined(limits) }
  for (const [key, value] of Object.entries(resolved)) checkPositiveInteger(`history.${key}`, value)
  if (!Array.isArray(rooms)) invalidOption('history.rooms', 'must be an array of { match, size?, ttlMs? }')
  if (store !== undefined && (typeof store !== 'object' || typeof store.append !== 'function')) invalidOption('history.store', 'must be a HistoryStore')
  return Object.freeze({ ...resolved, store, rules: Object.freeze(rooms.map((rule, i) => resolveRule(rule, `history.rooms[${i}]`))) })
}

/** Checks a room's `{ size, ttlMs }`, from a rule or a join. */
export function resolveRoomConfig(config: Partial<RoomHistoryConfig>, option: string): RoomHistoryConfig {
  const size = config.size ?? DEFAULT_ROOM_HISTORY.size
  const ttlMs = config.ttlMs ?? DEFAULT_ROOM_HISTORY.ttlMs
  checkPositiveInteger(`${option}.size`, size)
  checkPositiveInteger(`${option}.ttlMs`, ttlMs)
  return Object.freeze({ size, ttlMs })
}

function resolveRule(rule: HistoryRoomRule, option: string): ResolvedHistoryRule {
  if (rule === null || typeof rule !== 'object') invalidOption(option, 'must be { match, size?, ttlMs? }')
  return Object.freeze({ matches: matcher(rule.match, `${option}.match`), config: resolveRoomConfig(rule, option) })
}

function matcher(match: HistoryRoomRule['match'], option: string): (room: string) => boolean {
  if (typeof match === 'function') return (room) => match(room) === true
  if (match instanceof RegExp) return (room) => new RegExp(match.source, match.flags.replace(/[gy]/g, '')).test(room)
  if (typeof match !== 'string' || match.length === 0) return invalidOption(option, 'must be a non-empty pattern, a RegExp or a predicate')
  const pattern = new RegExp(`^${match.split('*').map(escapeRegExp).join('.*')}$`, 's')
  return (room) => pattern.test(room)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
