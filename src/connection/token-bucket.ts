/**
 * A per-connection token bucket. Refilled lazily, only when it runs dry, so an
 * accepted message costs one comparison and one decrement. It also counts
 * rejections per one-second window to tell a burst from sustained abuse.
 */
export class TokenBucket {
  #tokens: number
  #lastRefill: number
  #windowStart = 0
  #rejectionsInWindow = 0

  constructor(
    private readonly ratePerMs: number,
    private readonly capacity: number,
    private readonly maxRejectionsPerSecond: number,
    now = Date.now(),
  ) {
    this.#tokens = capacity
    this.#lastRefill = now
  }

  /** Takes one token; false when the bucket is empty. */
  take(now?: number): boolean {
    if (this.#tokens >= 1) {
      this.#tokens--
      return true
    }
    const t = now ?? Date.now()
    this.#tokens = Math.min(this.capacity, this.#tokens + (t - this.#lastRefill) * this.ratePerMs)
    this.#lastRefill = t
    if (this.#tokens >= 1) {
      this.#tokens--
      return true
    }
    this.#countRejection(t)
    return false
  }

  /** Whether rejections in the current second exceed the limit: sustained abuse. */
  get abusive(): boolean {
    return this.#rejectionsInWindow > this.maxRejectionsPerSecond
  }

  #countRejection(now: number): void {
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now
      this.#rejectionsInWindow = 0
    }
    this.#rejectionsInWindow++
  }
}
