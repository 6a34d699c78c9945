/**
 * How long to wait between attempts to reach a broker: exponential backoff
 * with jitter, capped, and never giving up. Every broker connection and the
 * bridge's retries use it, each with its own numbers.
 */
export interface ReconnectBackoff {
  /** The longest delay before the first retry; it doubles with each attempt that fails. */
  readonly initialDelayMs: number
  /** The longest delay, however many attempts failed. */
  readonly maxDelayMs: number
  /**
   * The fraction of each delay taken off at random (0: none; 0.5: a delay
   * between half and all of the bound), so the processes that lost one broker
   * do not all come back in the same instant.
   */
  readonly jitter: number
}

/**
 * The delay before retry `attempt` (1-based): a random delay between
 * `(1 − jitter) × bound` and `bound`, where the bound is
 * `min(maxDelayMs, initialDelayMs × 2^(attempt − 1))`.
 */
export function reconnectDelay(attempt: number, backoff: ReconnectBackoff, random: () => number = Math.random): number {
  // Capped doublings: the bound reaches maxDelayMs long before 2^30, and never overflows.
  const doublings = Math.min(Math.max(Math.floor(attempt) - 1, 0), 30)
  const bound = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** doublings)
  return Math.round(bound * (1 - backoff.jitter * random()))
}
