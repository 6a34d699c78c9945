/**
 * The broker under a cluster adapter, reduced to what the cluster protocol
 * needs: publish bytes to a channel, subscribe and unsubscribe, report state.
 * Everything about rooms, users, targets and queries lives in the core
 * (`ClusterAdapter`), so a broker binding is a short file; `gangway-ws/redis` and
 * `gangway-ws/nats` ship one each, and `gangway-ws/testing` an in-memory one plus the
 * conformance suite every bus must pass.
 *
 * A bus reports the state of its broker connection as a `BrokerState`:
 * `connecting` (not connected yet), `connected` (publishes reach the broker and
 * subscriptions are live), `reconnecting` (the connection was lost; the bus
 * retries with backoff and, once back, restores every subscription by itself),
 * `disconnected` (lost for good: the broker client gave up, or the user closed
 * the client they passed in) and `closed` (`close()` was called).
 */
import type { BrokerState } from '../broker/broker-state.js'

/** What a bus reports to its owner. Called asynchronously, never from inside a bus method. */
export interface ClusterBusEvents {
  /**
   * A message on a subscribed channel. `payload` may be a view into a larger
   * buffer and is only valid during the call: copy what you keep.
   */
  message(channel: string, payload: Uint8Array): void
  /** The state changed; `error` is the cause of a lost connection, when known. */
  state(state: BrokerState, error?: Error): void
}

/** The cluster's role on a broker connection: pub/sub as the cluster adapter uses it. */
export interface ClusterBus {
  /** A short name for logs ("redis", "nats", "memory"). */
  readonly name: string
  readonly state: BrokerState
  /**
   * Starts delivering to `events` and connects if not connected yet. Called
   * once. Resolves when connected for the first time; never rejects because the
   * broker is down (the bus keeps retrying and reports states).
   */
  start(events: ClusterBusEvents): Promise<void>
  /**
   * Sends `payload` to every subscriber of `channel`. Returns false, without
   * queueing, when the bus is not connected: memory stays bounded while the
   * broker is away, and the caller counts the loss. The bus may deliver a
   * node's own publishes back to it.
   */
  publish(channel: string, payload: Uint8Array): boolean
  /**
   * Adds a channel. Resolves once the broker confirmed it (messages published
   * after that reach this bus). Idempotent. While disconnected, the channel is
   * remembered and subscribed on reconnect, and the promise resolves then.
   */
  subscribe(channel: string): Promise<void>
  /** Removes a channel. Idempotent; messages already in flight may still arrive. */
  unsubscribe(channel: string): Promise<void>
  /** A round trip through the broker on every connection the bus uses; rejects or hangs if one is dead. */
  ping(): Promise<void>
  /** Drops the current connection(s) and reconnects: called when `ping` failed (a half-open TCP connection). */
  reconnect(): void
  /** Closes connections the bus opened (never a client the user passed in). Idempotent. */
  close(): Promise<void>
}
