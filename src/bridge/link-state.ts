import type { BrokerState } from '../observability/broker-state.js'

/** The connection phase a broker link tracks for itself. */
export type LinkPhase = 'idle' | 'connecting' | 'up' | 'down' | 'closed'

/**
 * The broker state of one bridge link, for the links to set and the
 * transport to report (`bridge:<kind>` in health and metrics). Listeners get
 * the current state first, then every change; a listener that throws never
 * breaks the link.
 */
export class LinkState {
  readonly #listeners = new Set<(state: BrokerState) => void>()
  #state: BrokerState | undefined
  #everUp = false

  /** The latest state, or `undefined` before the link first tried to connect. */
  get current(): BrokerState | undefined {
    return this.#state
  }

  set(state: BrokerState): void {
    // Closed is final: a late event of the broker client must not revive it.
    if (state === this.#state || this.#state === 'closed') return
    this.#state = state
    for (const listener of this.#listeners) call(listener, state)
  }

  /**
   * Reports a link's phase: `up` is connected; `connecting` and `down` read as
   * connecting until the link was first up and as reconnecting after; `idle`
   * reports nothing.
   */
  setPhase(phase: LinkPhase): void {
    if (phase === 'idle') return
    if (phase === 'up') this.#everUp = true
    this.set(phase === 'up' ? 'connected' : phase === 'closed' ? 'closed' : this.#everUp ? 'reconnecting' : 'connecting')
  }

  watch(listener: (state: BrokerState) => void): void {
    this.#listeners.add(listener)
    if (this.#state !== undefined) call(listener, this.#state)
  }
}

function call(listener: (state: BrokerState) => void, state: BrokerState): void {
  try {
    listener(state)
  } catch {
    // A health or metrics listener must never break the broker link.
  }
}
