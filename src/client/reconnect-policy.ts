/** How the client reconnects after the connection drops. */
export interface ReconnectOptions {
  /** Upper bound of the first retry's delay; later bounds grow by `factor`. @default 500 */
  initialDelayMs?: number
  /** Cap on the delay bound, however many attempts failed. @default 30000 */
  maxDelayMs?: number
  /** Growth of the delay bound per failed attempt. @default 2 */
  factor?: number
  /**
   * Retries in a row (after the connection dropped, or the first attempt failed) after
   * which the client gives up and closes. `Infinity` never gives up, which is what a
   * gateway client usually wants. @default Infinity
   */
  maxAttempts?: number
  /**
   * A connection that stayed open this long resets the attempt count; one that drops
   * sooner keeps backing off, so a server that accepts and closes at once is not hammered.
   * @default 5000
   */
  stableAfterMs?: number
  /**
   * Decides, from the close code and reason, whether to come back. @default isReconnectableClose
   */
  shouldReconnect?: (code: number, reason: string) => boolean
}

/** Reconnect options with every default applied. */
export type ResolvedReconnectOptions = Readonly<Required<ReconnectOptions>>

/**
 * Close codes after which the client does not come back:
 * - `1000` — the server ended the session on purpose (`client.close()` on the server; a
 *   draining gangway server uses `1001`, which is retried);
 * - `1008` — policy violation: credentials expired, `disconnectUser`, sustained rate-limit abuse;
 * - `4000`–`4999` — application codes, by gangway convention authentication and
 *   authorisation failures ("log in again"), which a retry cannot fix.
 *
 * Everything else (`1001` going away, `1006` abnormal, `1011` server error, `1012` restart,
 * `1013` try again later, `1009` too big, ...) is retried with backoff.
 */
export function isReconnectableClose(code: number, _reason = ''): boolean {
  return !(code === 1000 || code === 1008 || (code >= 4000 && code <= 4999))
}

/** The defaults of {@link ReconnectOptions}. */
export const DEFAULT_RECONNECT: ResolvedReconnectOptions = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  maxAttempts: Infinity,
  stableAfterMs: 5_000,
  shouldReconnect: isReconnectableClose,
})

/**
 * The delay before reconnect attempt `attempt` (1-based): exponential backoff with
 * full jitter, a uniformly random delay between 0 and
 * `min(maxDelayMs, initialDelayMs × factor^(attempt − 1))`. Full jitter spreads a
 * crowd of clients that lost the same server over the whole window instead of
 * bringing them back in synchronized waves.
 */
export function backoffDelay(
  attempt: number,
  options: Pick<ResolvedReconnectOptions, 'initialDelayMs' | 'maxDelayMs' | 'factor'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1)
  const bound = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** exponent)
  return Math.floor(random() * bound)
}
