import type { JoinOptions } from '../contracts/client-server.js'
import type { HistoryAppend, HistoryPage, HistoryQuery, HistoryRange, LiveEntry, RecoveryReport, RoomHistoryConfig, SinceRequest, StoredEntry } from '../contracts/history.js'
import { GatewayError } from '../errors/gateway-error.js'
import { loggableError } from '../logging/logger.js'
import { RECOVERY_EVENT } from '../protocol/control-events.js'
import { encodeEvent, encodeHistoryEvent } from '../protocol/frames.js'
import type { SinceField } from '../protocol/since-field.js'
import { serializePush } from '../registry/broadcast.js'
import type { NamespaceHistoryHook } from '../registry/history-hook.js'
import type { BroadcastTarget } from '../registry/namespace-adapter.js'
import type { NamespaceRegistry, RegisteredConnection } from '../registry/namespace-registry.js'
import { HeldLive } from './held-live.js'
import type { HistoryContext } from './history-context.js'
import { resolveRoomConfig } from './history-options.js'
import { HistoryRooms, MAX_JOINED_HISTORY_ROOMS } from './history-rooms.js'
import { planRecovery, readRequestFor, type RecoveryPlan } from './recovery-plan.js'
import type { ReplayLease } from './replay-batches.js'

/** How long a `since` from an envelope waits for the join it is meant for. */
const SINCE_TTL_MS = 30_000
/** Rooms' `since` remembered per connection at most. */
const MAX_SINCE_PER_CONNECTION = 200
/** A replay writes this much (or this many frames), then waits for the connection's outbox to empty. */
const REPLAY_CHUNK_CHARS = 64 * 1024
const REPLAY_CHUNK_FRAMES = 256
const NONE: readonly string[] = Object.freeze([])

/**
 * One namespace's history: appends broadcasts to history rooms, delivers the store's entries
 * to local members, and recovers joins. A recovering connection's live frames for the room are
 * held while its replay is read and sent, then released above the replay's last offset: the
 * client sees `$recovery`, the missed messages in order, then live ones, each once.
 */
export class NamespaceHistory<C extends RegisteredConnection> implements NamespaceHistoryHook<C> {
  readonly #registry: NamespaceRegistry<C>
  readonly #engine: HistoryContext
  readonly #rooms: HistoryRooms
  /** Per room, the connections whose replay is in progress and their held live frames. */
  readonly #held = new Map<string, Map<C, HeldLive>>()
  /**
   * Per room, connections whose replay ended at an offset (the floor): a live frame at or below it
   * may still be on its way from the store (another connection than the read's) and is dropped.
   * A connection's floor goes with its first live frame above it: the store delivers in order.
   */
  readonly #floors = new Map<string, Map<C, number>>()
  readonly #since = new WeakMap<C, Map<string, { request: SinceRequest; at: number }>>()
  readonly #subscribed = new Set<string>()
  /** Per room, the epoch of the last entry delivered here: a change means the stream broke in between. */
  readonly #epochs = new Map<string, string>()
  #warnedFull = false

  constructor(registry: NamespaceRegistry<C>, engine: HistoryContext) {
    this.#registry = registry
    this.#engine = engine
    this.#rooms = new HistoryRooms(engine.options.rules)
  }

  get #namespace(): string {
    return this.#registry.name
  }

  // --- publishing ---------------------------------------------------------

  route(target: BroadcastTarget, event: string, data: unknown): BroadcastTarget | undefined {
    const { rooms } = target
    let i = 0
    while (i < rooms.length && this.#rooms.config(rooms[i]!) === undefined) i++
    if (i === rooms.length) return target
    const message: HistoryAppend = { event, data: serializePush(event, data), exceptRooms: target.exceptRooms, exceptConnections: target.exceptConnections }
    const rest: string[] = []
    for (const room of new Set(rooms)) {
      const config = this.#rooms.config(room)
      if (config === undefined) rest.push(room)
      else this.#append(room, config, message)
    }
    if (rest.length + target.users.length + target.connections.length === 0) return undefined
    return { ...target, rooms: rest }
  }

  #append(room: string, config: RoomHistoryConfig, message: HistoryAppend): void {
    const { store, stats } = this.#engine
    stats.appended++
    store.append(this.#namespace, room, message, config).catch((err: unknown) => this.#unsaved(room, err))
  }

  /**
   * The store could not take a message. It is not sent live either: it would reach only some nodes,
   * late and out of order (a store times out long after later messages went by). Instead the room's
   * stream is marked broken (a new epoch, or a gap on its next message), so every member is told
   * `recovered: false` before the next message and no resume spans the loss.
   */
  #unsaved(room: string, err: unknown): void {
    const { store, stats } = this.#engine
    stats.appended--
    stats.unsaved++
    this.#engine.warnUnsaved(this.#namespace, room, err)
    store.resetEpoch?.(this.#namespace, room)
  }

  /** An entry of a room this node subscribed to, from the store: in offset order on every node. */
  deliver(room: string, entry: LiveEntry): void {
    const frame = encodeHistoryEvent(entry.event, entry.data, JSON.stringify(room), entry.offset, JSON.stringify(entry.epoch))
    const target: BroadcastTarget = { rooms: [room], users: NONE, connections: NONE, exceptRooms: entry.exceptRooms, exceptConnections: entry.exceptConnections }
    const previous = this.#epochs.get(room)
    this.#epochs.set(room, entry.epoch)
    // Messages before this one may be lost (not stored, or a stream that started over): members hear it first.
    const broken: RecoveryReport | undefined =
      entry.gap === true || (previous !== undefined && previous !== entry.epoch)
        ? { room, recovered: false, reason: entry.gap === true && previous === entry.epoch ? 'store-unavailable' : 'epoch-changed', epoch: entry.epoch, offset: entry.offset - 1, replayed: 0 }
        : undefined
    const held = this.#held.get(room)
    const floors = this.#floors.get(room)
    if (held === undefined && floors === undefined && broken === undefined) {
      this.#registry.deliverLocal(target, frame)
      return
    }
    for (const id of this.#registry.localTargetIds(target)) {
      const connection = this.#registry.connection(id)
      if (connection === undefined) continue
      const buffer = held?.get(connection)
      if (buffer !== undefined) {
        if (broken !== undefined) this.#resumeAgain(connection, room, 'the room’s stream broke during a history replay')
        else if (!buffer.hold(entry.offset, frame)) this.#resumeAgain(connection, room, 'too many live messages during a history replay', true)
        continue
      }
      const floor = floors?.get(connection)
      if (floor !== undefined) {
        if (broken === undefined && entry.offset <= floor) continue // replayed already
        this.#dropFloor(connection, room)
      }
      if (broken !== undefined) this.#report(connection, broken)
      connection.send(frame)
    }
  }

  /**
   * The store's live feed to this node was cut: members may have missed entries, so each is told
   * `recovered: false` (keeping its position: a later resume replays what is stored). A connection
   * in the middle of a replay is closed to resume again.
   */
  interrupted(): void {
    for (const room of this.#subscribed) {
      const target: BroadcastTarget = { rooms: [room], users: NONE, connections: NONE, exceptRooms: NONE, exceptConnections: NONE }
      for (const id of this.#registry.localTargetIds(target)) {
        const connection = this.#registry.connection(id)
        if (connection === undefined) continue
        if (this.#held.get(room)?.has(connection)) this.#resumeAgain(connection, room, 'the history store’s live feed was cut during a replay')
        else this.#report(connection, { room, recovered: false, reason: 'store-unavailable', replayed: 0 })
      }
    }
  }

  #dropFloor(connection: C, room: string): void {
    const floors = this.#floors.get(room)
    if (floors?.delete(connection) && floors.size === 0) this.#floors.delete(room)
  }

  /** Closes a connection whose replay cannot end well; its client reconnects and resumes from where it is. */
  #resumeAgain(connection: C, room: string, why: string, overflow = false): void {
    this.#release(connection, room)
    if (overflow) this.#engine.stats.heldOverflow++
    this.#engine.logger.warn({ connectionId: connection.id, room }, `${why}; closing with 1013 (the client resumes)`)
    connection.close(1013, overflow ? 'Too many messages during recovery' : 'History changed during recovery')
  }

  // --- membership ---------------------------------------------------------

  configure(room: string, config: RoomHistoryConfig, local: boolean): void {
    const resolved = local ? resolveRoomConfig(config, 'join history') : config
    const outcome = this.#rooms.configure(room, resolved)
    if (outcome === 'added' && local) this.#registry.adapter.historyConfigured?.(room, resolved)
    if (outcome === 'full' && !this.#warnedFull) {
      this.#warnedFull = true
      this.#engine.logger.warn({ namespace: this.#namespace, room, max: MAX_JOINED_HISTORY_ROOMS }, 'too many rooms with history turned on by joins; this join gets none (use history.rooms rules)')
    }
  }

  joinedRooms(): Iterable<[string, RoomHistoryConfig]> {
    return this.#rooms.joined()
  }

  roomAdded(room: string): Promise<void> | void {
    if (this.#rooms.config(room) === undefined) return
    this.#subscribed.add(room)
    return this.#engine.subscribe(this.#namespace, room)
  }

  roomRemoved(room: string): void {
    this.#epochs.delete(room)
    this.#held.delete(room)
    this.#floors.delete(room)
    if (this.#subscribed.delete(room)) this.#engine.store.unsubscribe(this.#namespace, room)
  }

  left(connection: C, room: string): void {
    this.#release(connection, room)
    this.#dropFloor(connection, room)
  }

  noteSince(connection: C, since: SinceField): void {
    let rooms = this.#since.get(connection)
    if (rooms === undefined) this.#since.set(connection, (rooms = new Map()))
    const at = Date.now()
    for (const [room, value] of rooms) if (at - value.at > SINCE_TTL_MS) rooms.delete(room)
    for (const room of Object.keys(since)) {
      if (rooms.size >= MAX_SINCE_PER_CONNECTION && !rooms.has(room)) break
      rooms.set(room, { request: since[room]!, at })
    }
  }

  #takeSince(connection: C, room: string): SinceRequest | undefined {
    const rooms = this.#since.get(connection)
    const noted = rooms?.get(room)
    if (noted === undefined) return undefined
    rooms!.delete(room)
    return Date.now() - noted.at > SINCE_TTL_MS ? undefined : noted.request
  }

  joined(connection: C, room: string, options: JoinOptions | undefined, joined: Promise<void>): Promise<void> {
    const request = options?.since ?? this.#takeSince(connection, room)
    const config = this.#rooms.config(room)
    if (config === undefined) {
      if (request === undefined) return joined
      return joined.then(() => void this.#report(connection, { room, recovered: false, reason: 'history-off', replayed: 0 }))
    }
    // Held from now on: nothing live of this room reaches the connection before its $recovery.
    let held = this.#held.get(room)
    if (held === undefined) this.#held.set(room, (held = new Map()))
    const buffer = new HeldLive(this.#engine.options.maxHeldLive)
    held.set(connection, buffer)
    return joined.then(
      () => this.#recover(connection, room, config, request, buffer),
      (err: unknown) => {
        this.#release(connection, room)
        throw err
      },
    )
  }

  // --- recovery -----------------------------------------------------------

  async #recover(connection: C, room: string, config: RoomHistoryConfig, request: SinceRequest | undefined, buffer: HeldLive): Promise<void> {
    const { batches, options } = this.#engine
    // Registered only now that its live frames are held: the read it shares starts after that.
    const shared = batches.join(this.#namespace, room, readRequestFor(request, options), config)
    if (shared === undefined) return this.#finish(connection, room, buffer, failed(room, 'too-many-replays'))
    let lease: ReplayLease | undefined
    try {
      lease = await shared
    } catch (err) {
      this.#engine.logger.warn({ room, namespace: this.#namespace, err: loggableError(err) }, 'history store unavailable; join answered recovered: false')
      return await this.#finish(connection, room, buffer, failed(room, 'store-unavailable'))
    }
    if (lease === undefined) return this.#finish(connection, room, buffer, failed(room, 'too-many-replays'))
    try {
      if (!this.#holds(connection, room, buffer)) return
      // The plan is this connection's own: its request's epoch decides against the shared range.
      await this.#finish(connection, room, buffer, planRecovery(room, request, lease.range, options), lease)
    } finally {
      lease.done()
    }
  }

  /** Sends `$recovery`, the replay (paced by the outbox), then the held live frames newer than it. */
  async #finish(connection: C, room: string, buffer: HeldLive, plan: RecoveryPlan, lease?: ReplayLease): Promise<void> {
    this.#report(connection, plan.report)
    const { entries } = plan
    if (entries.length > 0 && lease !== undefined) {
      let chunk = 0
      let frames = 0
      for (const entry of entries) {
        // The batch's frame: encoded once for all the connections that share the read.
        if (!connection.send(lease.frame(entry))) break
        chunk += entry.data.length
        if ((chunk >= REPLAY_CHUNK_CHARS || ++frames >= REPLAY_CHUNK_FRAMES) && connection.drained !== undefined) {
          chunk = 0
          frames = 0
          await connection.drained()
          if (!this.#holds(connection, room, buffer)) return
        }
      }
      this.#engine.stats.replayed += entries.length
    }
    if (!this.#holds(connection, room, buffer)) return
    const released = buffer.newerThan(plan.after)
    for (const frame of released) connection.send(frame)
    this.#release(connection, room)
    // Nothing newer held yet: frames up to the replay's end may still be on their way.
    if (released.length === 0 && plan.after > 0) {
      let floors = this.#floors.get(room)
      if (floors === undefined) this.#floors.set(room, (floors = new Map()))
      floors.set(connection, plan.after)
    }
  }

  #report(connection: C, report: RecoveryReport): void {
    const { stats } = this.#engine
    if (report.recovered) stats.recovered++
    else stats.notRecovered[report.reason!] = (stats.notRecovered[report.reason!] ?? 0) + 1
    connection.send(encodeEvent(RECOVERY_EVENT, report))
  }

  #holds(connection: C, room: string, buffer: HeldLive): boolean {
    return this.#held.get(room)?.get(connection) === buffer
  }

  #release(connection: C, room: string): void {
    const held = this.#held.get(room)
    if (held?.delete(connection) && held.size === 0) this.#held.delete(room)
  }

  // --- server.history -----------------------------------------------------

  async read(room: string, query: HistoryQuery): Promise<HistoryPage> {
    const config = this.#rooms.config(room)
    if (config === undefined) throw new GatewayError('HISTORY_OFF', `Room ${JSON.stringify(room)} has no history`)
    const max = this.#engine.options.maxReplayMessages
    const { since, limit = max } = query
    if (!Number.isSafeInteger(limit) || limit <= 0) throw new GatewayError('INVALID_ARGUMENT', 'history limit must be a positive integer')
    if (since !== undefined && (!Number.isSafeInteger(since.offset) || since.offset < 0 || typeof since.epoch !== 'string')) {
      throw new GatewayError('INVALID_ARGUMENT', 'history since must be { offset, epoch }')
    }
    const count = Math.min(limit, max)
    let range: HistoryRange
    try {
      range = await this.#engine.read(this.#namespace, room, since ? { after: since.offset, limit: count } : { last: count, limit: count }, config)
    } catch (cause) {
      throw new GatewayError('HISTORY_UNAVAILABLE', `The history of room ${JSON.stringify(room)} cannot be read now`, { cause })
    }
    if (since !== undefined && (since.epoch !== range.epoch || since.offset > range.top || !range.complete)) {
      throw new GatewayError('HISTORY_GONE', `The history of room ${JSON.stringify(room)} no longer holds every message after offset ${since.offset} of epoch ${since.epoch}`)
    }
    return { room, epoch: range.epoch, offset: range.top, messages: range.entries.map(toMessage) }
  }
}

function failed(room: string, reason: RecoveryReport['reason']): RecoveryPlan {
  return { report: { room, recovered: false, reason, replayed: 0 }, entries: [], after: 0 }
}

function toMessage(entry: StoredEntry): { offset: number; event: string; data: unknown } {
  return { offset: entry.offset, event: entry.event, data: JSON.parse(entry.data) as unknown }
}
