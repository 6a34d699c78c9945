/**
 * Bounds the replays a node runs at once: at most `concurrency` hold a slot, up to `maxQueued`
 * more wait in arrival order, and beyond that `acquire` says no at once. A reconnect storm thus
 * costs at most `concurrency` replays' worth of memory and store reads at a time.
 */
export class ReplayGate {
  readonly #concurrency: number
  readonly #maxQueued: number
  readonly #queue: Array<() => void> = []
  #running = 0

  constructor(concurrency: number, maxQueued: number) {
    this.#concurrency = concurrency
    this.#maxQueued = maxQueued
  }

  /** Replays holding a slot. */
  get running(): number {
    return this.#running
  }

  /** Replays waiting for a slot. */
  get queued(): number {
    return this.#queue.length
  }

  /** Resolves with a release function once a slot is free; `undefined` when the queue is full. */
  acquire(): Promise<() => void> | undefined {
    if (this.#running < this.#concurrency) {
      this.#running++
      return Promise.resolve(this.#release())
    }
    if (this.#queue.length >= this.#maxQueued) return undefined
    return new Promise((resolve) => this.#queue.push(() => resolve(this.#release())))
  }

  #release(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#queue.shift()
      // The slot passes straight to the next waiter: `running` stays the same.
      if (next !== undefined) next()
      else this.#running--
    }
  }
}
