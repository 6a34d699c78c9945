import type { BrokerState } from '../broker/broker-state.js'
import type { BridgeRecord, RequestRecord } from './bridge-records.js'

/**
 * The bridge's role on a broker connection (each broker folder builds one on
 * its broker connection module): moving opaque message bodies to three kinds
 * of address. Correlation, timeouts, batching, dedupe and push
 * routing are written once in core on top of it, so each broker is a short
 * file and the semantics are tested once (see `gangway-ws/testing`'s
 * `bridgeTransportConformance`).
 *
 * - a **pattern** (`demo.ask`): a work queue shared by every service instance
 *   handling it; each message goes to one of them;
 * - an **inbox** (a gateway node id, or a requester's id): one process's
 *   address for replies and pushes to its connections;
 * - the **broadcast**: every gateway node (pushes to users and rooms).
 */
export interface BrokerLink {
  /** `amqp`, `nats`, `redis`, `in-process`: for logs and errors. */
  readonly kind: string
  /** What happens to a request when a service dies mid-message; see `docs/bridge.md`. */
  readonly guarantee: 'at-least-once' | 'at-most-once'
  /**
   * Whether several requests bound for one pattern may share a broker message
   * (they are still sent together, one message each, when not).
   */
  readonly batchRequests: boolean
  /** `undefined` when the link can take a message now; otherwise the error code to answer with. */
  unavailable(): 'UNAVAILABLE' | 'BUSY' | undefined
  /** Connects; idempotent. Rejects with `UNAVAILABLE` if the broker cannot be reached. */
  connect(): Promise<void>
  /**
   * Starts receiving what is addressed to inbox `id`. May be called for several ids. A
   * link that builds the records itself (the NestJS wire, translating replies) may hand
   * them over decoded instead of as a body.
   */
  openInbox(id: string, receive: (body: Uint8Array | readonly BridgeRecord[]) => void): Promise<void>
  /** Stops receiving for inbox `id` (the broker forgets it: exclusive, auto-delete or expiring). */
  closeInbox(id: string): Promise<void>
  /** Starts receiving broadcasts (gateway nodes only). */
  openBroadcast(receive: (body: Uint8Array) => void): Promise<void>
  /**
   * Sends a body of request records to a pattern's work queue. Resolves once
   * the broker has taken it (publisher confirm where the broker has them);
   * rejects with a `GatewayError` coded `UNAVAILABLE` or `BUSY` otherwise.
   */
  sendRequest(pattern: string, body: Buffer, info: RequestInfo): Promise<void>
  /**
   * For links that translate each request into a message of their own (the NestJS
   * wire): sends one request or event record, encoded the link's way, instead of a
   * batch body — the transport then neither batches nor serializes it. Throws (a
   * `TypeError` or `RangeError`) when the data cannot be serialized; the promise
   * settles as `sendRequest`'s does.
   */
  sendRecord?(record: RequestRecord): Promise<void>
  /** Sends a body to an inbox. Fire and forget: failures are logged by the link. */
  sendToInbox(id: string, body: Buffer): Promise<void>
  /** Sends a body to every gateway node. */
  broadcast(body: Buffer): Promise<void>
  /**
   * Service side: starts taking messages of a pattern's work queue. `deliver`
   * is called for each; the link acknowledges the message only when its
   * `done()` is called (after the handler finished), so a service that dies
   * mid-message gets it redelivered where the broker supports that.
   */
  consume(pattern: string, deliver: (delivery: Delivery) => void, options: ConsumeOptions): Promise<void>
  /**
   * Service side: starts receiving what requesters send to every service
   * process (cancellations). Links without it cannot carry a cancellation to
   * a service: the requester still answers `CANCELLED` at once.
   */
  openServiceBroadcast?(receive: (body: Uint8Array) => void): Promise<void>
  /** Sends a body to every service process that opened the service broadcast. Fire and forget. */
  broadcastToServices?(body: Buffer): Promise<void>
  /** Closes what the link opened on its broker connection (never a client the user passed in). Idempotent. */
  close(): Promise<void>
  /**
   * Reports the state of the link's broker connection: the current one (if it
   * tried to connect yet), then every change. Links without a broker (in
   * process) leave it out.
   */
  watchState?(listener: (state: BrokerState) => void): void
}

/** About one request body being sent. */
export interface RequestInfo {
  /** Epoch ms after which nobody waits for the answer (a broker TTL, where there is one). */
  readonly expiresAt: number | undefined
  /** The inbox the replies go to; absent for events. */
  readonly replyInbox: string | undefined
  /** The ids of the records in the body (links that answer "no responders" themselves fail these). */
  readonly correlationIds: readonly string[]
}

/** One message taken from a work queue. */
export interface Delivery {
  readonly body: Uint8Array
  /** True when the broker says this message was delivered before (to this or another consumer). */
  readonly redelivered: boolean
  /** Acknowledges the message. Call exactly once, after handling it. */
  done(): void
}

/** How a service consumes a pattern. */
export interface ConsumeOptions {
  /** Messages handed to this consumer before it acknowledges any (flow control). */
  readonly prefetch: number
  /** A service group name: instances in one group share the work. */
  readonly group: string
}
