// Pure module: the client's browser bundle includes it, so no Node built-ins here.

type Listener = (...args: never[]) => void

/**
 * Listeners by name. Calling them never lets one listener's exception stop the
 * others or the client: it goes to `onThrow`. The set is copied before a call,
 * so a listener may remove itself (`once`) or add others safely.
 */
export class ListenerMap {
  readonly #map = new Map<string, Set<Listener>>()

  /** Adds `listener` under `name`; returns the function that removes it. */
  add(name: string, listener: Listener): () => void {
    let set = this.#map.get(name)
    if (set === undefined) this.#map.set(name, (set = new Set()))
    set.add(listener)
    return () => this.remove(name, listener)
  }

  remove(name: string, listener: Listener): void {
    const set = this.#map.get(name)
    if (set === undefined) return
    set.delete(listener)
    if (set.size === 0) this.#map.delete(name)
  }

  /** How many listeners `name` has. */
  count(name: string): number {
    return this.#map.get(name)?.size ?? 0
  }

  /** Calls every listener of `name` with `args`; returns how many were called. */
  emit(name: string, args: readonly unknown[], onThrow: (error: unknown) => void): number {
    const set = this.#map.get(name)
    if (set === undefined) return 0
    for (const listener of [...set]) {
      try {
        ;(listener as (...args: unknown[]) => void)(...args)
      } catch (error) {
        onThrow(error)
      }
    }
    return set.size
  }
}
