import type { Logger } from '../logging/logger.js'
import type { ResolvedHeartbeatOptions } from './connection-options.js'

/** A heartbeat round is cut into slices of at least this long (a 30 s interval: 30 slices of 1 s)… */
const MIN_BEAT_SLICE_MS = 100
/** …and into at most this many. */
const MAX_BEAT_SLICES = 30

/** What the heartbeat needs of a connection. */
export interface Beating {
  readonly id: string
  readonly userId: string | undefined
  /** Cleared before each ping; set again by a pong or a frame. */
  alive: boolean
  /** The heartbeat's slice the connection is in (set by the heartbeat; saves a map entry per connection). */
  beatSlice: Set<unknown> | undefined
  ping(): void
  terminate(): void
}

/**
 * Ping/pong liveness for every connection of an app. Connections are spread
 * round-robin over slices and each tick visits one slice, so each is visited
 * once per interval but 10,000 sockets are not all pinged (and do not all
 * answer) in the same millisecond — pinging them in one loop stalled the
 * event loop for ~0.4 s every 30 s in the soak run. A connection that has not
 * answered its previous ping is terminated: a peer that goes silent is cut off
 * within 2 intervals.
 */
export class Heartbeat<C extends Beating = Beating> {
  readonly #slices: Array<Set<C>> = []
  readonly #timer: NodeJS.Timeout
  readonly #logger: Logger
  #tick = 0
  #next = 0

  constructor(options: ResolvedHeartbeatOptions, logger: Logger) {
    const { intervalMs } = options
    const slices = Math.max(1, Math.min(MAX_BEAT_SLICES, Math.floor(intervalMs / MIN_BEAT_SLICE_MS)))
    for (let i = 0; i < slices; i++) this.#slices.push(new Set())
    this.#logger = logger
    this.#timer = setInterval(() => this.#beat(), Math.max(1, Math.floor(intervalMs / slices)))
    this.#timer.unref()
  }

  add(connection: C): void {
    const slice = this.#slices[this.#next++ % this.#slices.length]!
    slice.add(connection)
    connection.beatSlice = slice
  }

  remove(connection: C): void {
    connection.beatSlice?.delete(connection)
    connection.beatSlice = undefined
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  #beat(): void {
    const slice = this.#slices[this.#tick]!
    this.#tick = (this.#tick + 1) % this.#slices.length
    for (const connection of slice) {
      if (!connection.alive) {
        this.#logger.info({ connectionId: connection.id, userId: connection.userId }, 'no pong since the last ping; terminating')
        connection.terminate()
      } else {
        connection.alive = false
        connection.ping()
      }
    }
  }
}
