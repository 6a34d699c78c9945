import type { RequestId } from '../protocol/envelope.js'
import type { Client } from './client-server.js'

/** The frame a handler runs for: its event and, for a request, its `id`. */
export interface FrameInfo {
  readonly event: string
  readonly id: RequestId | undefined
}

/** A handler: receives the (validated) `data` and the client; its return value is the reply. */
export type Handler<In = unknown, Out = unknown, User = unknown> = (data: In, client: Client<User>, frame?: FrameInfo) => Out

/** `onConnect` / `onDisconnect` hooks; always awaited. */
export type LifecycleHook<User = unknown> = (client: Client<User>) => unknown
