import type {
  HistoryAppend,
  HistoryRange,
  HistoryReadRequest,
  HistoryStore,
  HistoryStoreEvents,
  RoomHistoryConfig,
  StoredEntry,
} from '../contracts/history.js'
import { newEpoch } from './new-epoch.js'

interface RoomStream {
  epoch: string
  top: number
  /** Oldest first; trimmed to `size` and `ttlMs` on every append and read. */
  entries: StoredEntry[]
  /** Index of the oldest live entry (trimming moves it; the array is compacted now and then). */
  start: number
  /** The room's settings at its last append, for the sweep. */
  config: RoomHistoryConfig | undefined
}

/** Every this many appends, rooms whose messages all expired and that nobody follows are forgotten. */
const SWEEP_EVERY = 1000

/**
 * Histories in this process: the default store of a gateway without a cluster adapter. A room's
 * stream lives as long as the process (a restart starts a new epoch for every room); it holds at
 * most `size` messages per room, each for `ttlMs`. Offsets are contiguous within an epoch. A room
 * whose messages all expired and that no local member follows is forgotten now and then (so memory
 * stays bounded by the rooms with live messages); using it again starts a new epoch.
 */
export class MemoryHistoryStore implements HistoryStore {
  readonly name = 'memory'
  readonly #rooms = new Map<string, RoomStream>()
  readonly #subscribed = new Set<string>()
  #events: HistoryStoreEvents | undefined
  readonly #now: () => number
  #appends = 0

  /** @param now the clock, for tests of the time-to-live */
  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  async start(events: HistoryStoreEvents): Promise<void> {
    this.#events = events
  }

  append(namespace: string, room: string, message: HistoryAppend, config: RoomHistoryConfig): Promise<void> {
    const key = keyOf(namespace, room)
    const stream = this.#stream(key)
    stream.config = config
    const at = this.#now()
    if (++this.#appends % SWEEP_EVERY === 0) this.#sweep(at)
    const entry: StoredEntry = { offset: ++stream.top, event: message.event, data: message.data, at }
    stream.entries.push(entry)
    trim(stream, config, at)
    if (this.#subscribed.has(key)) {
      const live = { ...entry, epoch: stream.epoch, exceptRooms: message.exceptRooms, exceptConnections: message.exceptConnections }
      const events = this.#events
      // Never synchronously: in order, after the emit that caused it returned.
      queueMicrotask(() => events?.entry(namespace, room, live))
    }
    return Promise.resolve()
  }

  async subscribe(namespace: string, room: string): Promise<void> {
    this.#subscribed.add(keyOf(namespace, room))
  }

  unsubscribe(namespace: string, room: string): void {
    this.#subscribed.delete(keyOf(namespace, room))
  }

  async read(namespace: string, room: string, request: HistoryReadRequest, config: RoomHistoryConfig): Promise<HistoryRange> {
    const stream = this.#stream(keyOf(namespace, room))
    trim(stream, config, this.#now())
    const live = stream.entries.length - stream.start
    if ('last' in request) {
      const count = Math.min(request.last, request.limit, live)
      return { epoch: stream.epoch, top: stream.top, entries: stream.entries.slice(stream.entries.length - count), complete: true }
    }
    const oldest = live === 0 ? stream.top + 1 : stream.entries[stream.start]!.offset
    const from = Math.max(request.after + 1, oldest)
    const index = stream.start + (from - oldest)
    const entries = stream.entries.slice(index, index + request.limit)
    return { epoch: stream.epoch, top: stream.top, entries, complete: request.after + 1 >= oldest }
  }

  resetEpoch(namespace: string, room: string): void {
    const stream = this.#rooms.get(keyOf(namespace, room))
    if (stream === undefined) return
    stream.epoch = newEpoch()
    stream.top = 0
    stream.entries = []
    stream.start = 0
  }

  /** Rooms held: for tests and metrics. */
  get rooms(): number {
    return this.#rooms.size
  }

  async close(): Promise<void> {
    this.#subscribed.clear()
  }

  #stream(key: string): RoomStream {
    let stream = this.#rooms.get(key)
    if (stream === undefined) this.#rooms.set(key, (stream = { epoch: newEpoch(), top: 0, entries: [], start: 0, config: undefined }))
    return stream
  }

  #sweep(now: number): void {
    for (const [key, stream] of this.#rooms) {
      if (stream.config === undefined || this.#subscribed.has(key)) continue
      trim(stream, stream.config, now)
      if (stream.start >= stream.entries.length) this.#rooms.delete(key)
    }
  }
}

function keyOf(namespace: string, room: string): string {
  return `${namespace}\u0000${room}`
}

function trim(stream: RoomStream, config: RoomHistoryConfig, now: number): void {
  const { entries } = stream
  let start = Math.max(stream.start, entries.length - config.size)
  const oldestKept = now - config.ttlMs
  while (start < entries.length && entries[start]!.at < oldestKept) start++
  stream.start = start
  // Compact once the dead head outweighs the live part, so trimming stays O(1) amortized.
  if (start > 64 && start * 2 > entries.length) {
    stream.entries = entries.slice(start)
    stream.start = 0
  }
}
