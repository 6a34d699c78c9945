import type { ClusterBus } from '../../src/index.js'

/** A cluster bus that does what `inner` does, except for the methods `overrides` replaces. */
export function wrapBus(inner: ClusterBus, overrides: Partial<Omit<ClusterBus, 'name' | 'state'>>): ClusterBus {
  return {
    name: inner.name,
    get state() {
      return inner.state
    },
    start: (events) => inner.start(events),
    publish: (channel, payload) => inner.publish(channel, payload),
    subscribe: (channel) => inner.subscribe(channel),
    unsubscribe: (channel) => inner.unsubscribe(channel),
    ping: () => inner.ping(),
    reconnect: () => inner.reconnect(),
    close: () => inner.close(),
    ...overrides,
  }
}

/**
 * A cluster bus that hands every message its subscriber receives to `incoming` first; the
 * message reaches the adapter only when `incoming` returns true (tests drop or count there).
 */
export function interceptIncoming(inner: ClusterBus, incoming: (channel: string, payload: Uint8Array) => boolean): ClusterBus {
  return wrapBus(inner, {
    start: (events) =>
      inner.start({
        message: (channel, payload) => void (incoming(channel, payload) && events.message(channel, payload)),
        state: (state, error) => events.state(state, error),
      }),
  })
}
