/** A server under test, listening on loopback. */
export interface RunningTarget {
  readonly port: number
  close(): Promise<void>
}

/** What each module in `bench/targets/` exports. */
export type StartTarget = () => Promise<RunningTarget>
