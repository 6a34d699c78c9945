import type { RequestId } from '../protocol/envelope.js'
import type { Client } from './client-server.js'

/** The frame a handler runs for: its event and, for a request, its `id`. */
export interface FrameInfo {
  readonly event: string
  readonly id: RequestId | undefined
  /** The client's deadline for the answer (epoch ms), when its frame carried a valid one. */
  readonly deadline?: number | undefined
}

/**
 * A connection's requests that can be cancelled (forwarded ones): the client's
 * `$cancel` frame and the connection's close call `cancel` of the request they
 * concern. Implemented by the gateway's connections.
 */
export interface CancellableRequests {
  /** Registers `cancel` for request `id` of this connection; call the returned function once the request settled. */
  trackRequest(id: RequestId, cancel: (why: 'cancelled' | 'disconnected') => void): () => void
}

/** A handler: receives the (validated) `data` and the client; its return value is the reply. */
export type Handler<In = unknown, Out = unknown, User = unknown> = (data: In, client: Client<User>, frame?: FrameInfo) => Out

/** `onConnect` / `onDisconnect` hooks; always awaited. */
export type LifecycleHook<User = unknown> = (client: Client<User>) => unknown
