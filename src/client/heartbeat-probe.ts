// Pure module: the client's browser bundle includes it, so no Node built-ins here.
type Timer = ReturnType<typeof setTimeout>

/**
 * Watches one open connection: when nothing has arrived for `intervalMs` it
 * asks `probe()` to send something that must be answered; when nothing at all
 * arrives within `timeoutMs` after that, it calls `dead()`. Any frame counts
 * as an answer. One timer, moved forward lazily: a busy connection never
 * probes, and a frame costs one clock read.
 */
export class HeartbeatProbe {
  #lastHeard = 0
  #probedAt = 0
  #timer: Timer | undefined

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly probe: () => void,
    private readonly dead: () => void,
  ) {}

  start(): void {
    this.#lastHeard = Date.now()
    this.#probedAt = 0
    this.#arm(this.intervalMs)
  }

  heard(): void {
    this.#lastHeard = Date.now()
  }

  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  readonly #tick = (): void => {
    this.#timer = undefined
    const now = Date.now()
    if (this.#probedAt !== 0) {
      if (this.#lastHeard >= this.#probedAt) this.#probedAt = 0 // answered
      else if (now - this.#probedAt >= this.timeoutMs) return this.dead()
      else return this.#arm(Math.min(this.intervalMs, this.#probedAt + this.timeoutMs - now))
    }
    const quiet = now - this.#lastHeard
    if (quiet < this.intervalMs) return this.#arm(this.intervalMs - quiet)
    this.#probedAt = now
    this.probe()
    // Look again after the shorter of the two: an answered probe lets the next round start on time.
    this.#arm(Math.min(this.intervalMs, this.timeoutMs))
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#tick, ms)
  }
}
