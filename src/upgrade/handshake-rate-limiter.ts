/** Upgrade requests one client address may start per second, across every gateway of an app. */
export interface HandshakeRateLimitOptions {
  /** Sustained upgrade requests per second per address. @default 100 */
  perSecond?: number
  /** Upgrade requests an address may start at once after being quiet (a page with many tabs, a NAT after a restart). @default 1000 */
  burst?: number
}

export const DEFAULT_HANDSHAKE_RATE_LIMIT: Readonly<Required<HandshakeRateLimitOptions>> = Object.freeze({ perSecond: 100, burst: 1000 })

/** Look for full buckets to forget after this many new addresses (amortised, no timer). */
const SWEEP_EVERY = 1024

interface Bucket {
  tokens: number
  at: number
}

/**
 * A token bucket per client address on upgrade requests: a flood of handshakes
 * from one address (each may run a JWT check) is answered `429` with
 * `Retry-After` before any guard runs; other addresses are unaffected. A bucket
 * that has refilled is indistinguishable from no bucket, so idle addresses are
 * forgotten and the table holds only addresses seen in the last `burst / perSecond`
 * seconds.
 */
export class HandshakeRateLimiter {
  readonly #perMs: number
  readonly #burst: number
  readonly #buckets = new Map<string, Bucket>()
  #untilSweep = SWEEP_EVERY

  constructor(options: Readonly<Required<HandshakeRateLimitOptions>>) {
    this.#perMs = options.perSecond / 1000
    this.#burst = options.burst
  }

  /** Addresses with a bucket that is not full. */
  get tracked(): number {
    return this.#buckets.size
  }

  /** Takes a token for `address`: 0 when the upgrade may go on, else the seconds to wait (for `Retry-After`). */
  take(address: string, now = Date.now()): number {
    let bucket = this.#buckets.get(address)
    if (bucket === undefined) {
      if (--this.#untilSweep <= 0) this.#sweep(now)
      bucket = { tokens: this.#burst, at: now }
      this.#buckets.set(address, bucket)
    } else {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs)
      bucket.at = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens--
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000))
  }

  #sweep(now: number): void {
    this.#untilSweep = SWEEP_EVERY
    for (const [address, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.#burst) this.#buckets.delete(address)
    }
  }
}
