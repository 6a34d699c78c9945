/** Limits applied to every frame a client sends. */
export interface LimitOptions {
  /** Largest frame accepted; larger frames close the connection with 1009. @default 1048576 (1 MiB) */
  maxPayload?: number
  /** Deepest JSON nesting accepted. @default 64 */
  maxDepth?: number
  /** Longest event name accepted. @default 128 */
  maxEventLength?: number
  /** Longest string request id accepted. @default 128 */
  maxIdLength?: number
  /**
   * Fragments one message may be split into; more close the connection with 1008.
   * Each buffered fragment costs the server ~250 bytes whatever its size, so this
   * bounds what 1-byte fragments can make a socket hold (browsers never fragment).
   * @default 128
   */
  maxFragments?: number
  /**
   * TCP chunks `ws` may buffer while a frame is incomplete; more close the
   * connection with 1008. Bounds what a peer trickling a frame one byte per
   * packet can make the server hold (CVE-2026-48779's other shape); a 1 MiB
   * frame needs ~20 chunks on a healthy network. @default 4096
   */
  maxBufferedChunks?: number
}

export const DEFAULT_MAX_PAYLOAD = 1024 * 1024
export const DEFAULT_LIMITS: Readonly<Required<LimitOptions>> = Object.freeze({
  maxPayload: DEFAULT_MAX_PAYLOAD,
  maxDepth: 64,
  maxEventLength: 128,
  maxIdLength: 128,
  maxFragments: 128,
  maxBufferedChunks: 4096,
})

export type ResolvedLimitOptions = Readonly<Required<LimitOptions>>
