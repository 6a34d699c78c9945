import type { ConnectionEventSink } from '../connection/connection.js'
import type { Client } from '../contracts/client-server.js'
import type { Logger } from '../logging/logger.js'
import type { Transport } from './transport.js'

/** The reserved pattern connection events travel on; `Microservice.onConnectionEvent` handles it. */
export const CONNECTION_EVENTS_PATTERN = 'gangway.connection'

/** Who a connection event is about. */
export interface ConnectionEventSubject {
  /** The connection (`<nodeId>-<n>`). */
  readonly connectionId: string
  /** The gateway node that holds (or held) it. */
  readonly nodeId: string
  /** Its namespace. */
  readonly namespace: string
  /** The gateway path it upgraded on. */
  readonly path: string
  /** Its principal's user id, if any. */
  readonly userId?: string
  /** When it happened (epoch ms, the gateway node's clock). */
  readonly at: number
}

/**
 * What a gateway with `connectionEvents: true` publishes to services:
 * - `connected` once a connection is registered;
 * - `disconnected` exactly once when it closes, with the close `code` and `reason`
 *   (its rooms are left with it: no `left` per room);
 * - `joined` / `left` a room;
 * - `nodeLost`: a gateway node stopped without closing its connections (killed,
 *   frozen, cut off): it stands for a `disconnected` of each of that node's
 *   connections that had none. One surviving node publishes it once the cluster
 *   adapter finds the node silent (within `nodeTimeoutMs + heartbeatIntervalMs`,
 *   9 s by default).
 */
export type ConnectionEvent =
  | (ConnectionEventSubject & { readonly type: 'connected' })
  | (ConnectionEventSubject & { readonly type: 'disconnected'; readonly code: number; readonly reason: string })
  | (ConnectionEventSubject & { readonly type: 'joined' | 'left'; readonly room: string })
  | { readonly type: 'nodeLost'; readonly nodeId: string; readonly reportedBy: string; readonly at: number }

/** Counters of a publisher. */
export interface ConnectionEventStats {
  published: number
  /** Events the broker did not take (down, refusing): lost, and logged. */
  failed: number
}

/**
 * Publishes a gateway node's connection events as fire-and-forget messages on
 * `gangway.connection`. Each message carries an idempotency key (`disconnected:`
 * + the connection id, `nodeLost:` + the node id) that services deduplicate on,
 * and JetStream at the broker, so a redelivery or a second reporter of a lost
 * node does not make a second event where it reaches the same place.
 */
export class ConnectionEventPublisher implements ConnectionEventSink {
  readonly stats: ConnectionEventStats = { published: 0, failed: 0 }
  readonly #pending = new Set<Promise<void>>()

  constructor(
    private readonly transport: Transport,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {}

  opened(client: Client): void {
    this.#publish({ type: 'connected', ...this.#subject(client) })
  }

  closed(client: Client, code: number, reason: string): void {
    this.#publish({ type: 'disconnected', ...this.#subject(client), code, reason }, `disconnected:${client.id}`)
  }

  joined(client: Client, room: string): void {
    this.#publish({ type: 'joined', ...this.#subject(client), room })
  }

  left(client: Client, room: string): void {
    this.#publish({ type: 'left', ...this.#subject(client), room })
  }

  /** Reports a node that died with its connections open. */
  nodeLost(nodeId: string): void {
    this.#publish({ type: 'nodeLost', nodeId, reportedBy: this.nodeId, at: Date.now() }, `nodeLost:${nodeId}`)
  }

  /** Resolves once every event published so far was taken by the broker or failed (at most `timeoutMs`). */
  async flush(timeoutMs: number): Promise<void> {
    if (this.#pending.size === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...this.#pending]), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timer)
  }

  #subject(client: Client): ConnectionEventSubject {
    const subject: { -readonly [K in keyof ConnectionEventSubject]: ConnectionEventSubject[K] } = {
      connectionId: client.id,
      nodeId: this.nodeId,
      namespace: client.namespace,
      path: client.path,
      at: Date.now(),
    }
    if (client.userId !== undefined) subject.userId = client.userId
    return subject
  }

  #publish(event: ConnectionEvent, id?: string): void {
    let sent: Promise<void>
    try {
      sent = this.transport.emit(CONNECTION_EVENTS_PATTERN, event, id === undefined ? {} : { id })
    } catch (err) {
      sent = Promise.reject(err)
    }
    const tracked = sent.then(
      () => {
        this.stats.published++
      },
      (err: unknown) => {
        this.stats.failed++
        this.logger.warn({ err, event: event.type }, 'a connection event could not be published')
      },
    )
    this.#pending.add(tracked)
    void tracked.finally(() => this.#pending.delete(tracked))
  }
}
