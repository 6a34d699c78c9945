import type { HistoryRange, HistoryReadRequest, HistoryStore, RoomHistoryConfig } from '../contracts/history.js'
import type { Logger } from '../logging/logger.js'
import type { HistoryStats } from './history-stats.js'
import type { ResolvedHistoryOptions } from './history-options.js'
import type { ReplayGate } from './replay-gate.js'

/** What a namespace's history shares with the app's others (the `HistoryEngine`). */
export interface HistoryContext {
  readonly store: HistoryStore
  readonly options: ResolvedHistoryOptions
  readonly logger: Logger
  readonly gate: ReplayGate
  readonly stats: HistoryStats
  /** Subscribes this node to a room's entries, bounded in time. */
  subscribe(namespace: string, room: string): Promise<void>
  /** A store read, bounded in time. */
  read(namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig): Promise<HistoryRange>
  /** Logs (at most every few seconds) that the store could not take a message. */
  warnUnsaved(namespace: string, room: string, err: unknown): void
}
