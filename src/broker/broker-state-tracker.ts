import type { BrokerState } from './broker-state.js'

/** Receives a broker connection's state; `error` is the cause of a lost connection, when known. */
export type BrokerStateWatcher = (state: BrokerState, error?: Error) => void

/**
 * The state of one broker connection, kept by the connection and watched by
 * the roles built on it (a cluster bus, a bridge link) and, through them, by
 * health and metrics. Watchers get the current state first, then every change
 * once; a watcher that throws never breaks the connection. `closed` is final.
 */
export class BrokerStateTracker {
  readonly #watchers = new Set<BrokerStateWatcher>()
  #state: BrokerState | undefined
  #everConnected = false

  /** The latest state, or `undefined` before the connection first tried to connect. */
  get current(): BrokerState | undefined {
    return this.#state
  }

  /** Whether the connection was ever connected (a later loss reads as `reconnecting`). */
  get everConnected(): boolean {
    return this.#everConnected
  }

  set(state: BrokerState, error?: Error): void {
    // Closed is final: a late event of the broker client must not revive it.
    if (state === this.#state || this.#state === 'closed') return
    if (state === 'connected') this.#everConnected = true
    this.#state = state
    for (const watcher of this.#watchers) call(watcher, state, error)
  }

  /** Not connected and retrying: `connecting` until the connection was first connected, `reconnecting` after. */
  retrying(error?: Error): void {
    this.set(this.#everConnected ? 'reconnecting' : 'connecting', error)
  }

  watch(watcher: BrokerStateWatcher): void {
    this.#watchers.add(watcher)
    if (this.#state !== undefined) call(watcher, this.#state, undefined)
  }
}

function call(watcher: BrokerStateWatcher, state: BrokerState, error: Error | undefined): void {
  try {
    watcher(state, error)
  } catch {
    // A health or metrics watcher must never break the broker connection.
  }
}
