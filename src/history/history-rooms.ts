import type { RoomHistoryConfig } from '../contracts/history.js'
import type { ResolvedHistoryRule } from './history-options.js'

/** Rooms whose rule lookups are remembered; beyond this the cache starts over. */
const MAX_CACHED_ROOMS = 10_000
/** Rooms a join may turn history on for, per namespace; beyond this a join's `history` is refused (logged). */
export const MAX_JOINED_HISTORY_ROOMS = 100_000

/**
 * Which rooms of a namespace have history: the first matching rule, else a join's own `history`
 * (first writer wins, on any node: the cluster adapter tells the others). A join's setting is kept
 * for the app's life, since a node without members may still publish to the room; at most
 * `MAX_JOINED_HISTORY_ROOMS` of them. Lookups are cached, so a broadcast to a room without history
 * pays one map lookup.
 */
export class HistoryRooms {
  readonly #rules: readonly ResolvedHistoryRule[]
  readonly #cache = new Map<string, RoomHistoryConfig | null>()
  readonly #joined = new Map<string, RoomHistoryConfig>()

  constructor(rules: readonly ResolvedHistoryRule[]) {
    this.#rules = rules
  }

  /** The room's history settings, or `undefined` when it has none. */
  config(room: string): RoomHistoryConfig | undefined {
    if (this.#joined.size > 0) {
      const joined = this.#joined.get(room)
      if (joined !== undefined) return this.#ruled(room) ?? joined
    }
    return this.#ruled(room)
  }

  /**
   * A join turned history on: kept unless a rule or an earlier join already set it. Returns
   * 'added', 'known' (already on), or 'full' (`MAX_JOINED_HISTORY_ROOMS` reached: not turned on).
   */
  configure(room: string, config: RoomHistoryConfig): 'added' | 'known' | 'full' {
    if (this.#joined.has(room) || this.#ruled(room) !== undefined) return 'known'
    if (this.#joined.size >= MAX_JOINED_HISTORY_ROOMS) return 'full'
    this.#joined.set(room, config)
    return 'added'
  }

  /** The rooms joins turned history on for, with their settings. */
  joined(): IterableIterator<[string, RoomHistoryConfig]> {
    return this.#joined.entries()
  }

  #ruled(room: string): RoomHistoryConfig | undefined {
    if (this.#rules.length === 0) return undefined
    const cached = this.#cache.get(room)
    if (cached !== undefined) return cached ?? undefined
    const config = this.#rules.find((rule) => rule.matches(room))?.config ?? null
    if (this.#cache.size >= MAX_CACHED_ROOMS) this.#cache.clear()
    this.#cache.set(room, config)
    return config ?? undefined
  }
}
