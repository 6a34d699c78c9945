import { encodeEvent } from './frames.js'
import type { TextFrame } from './text-frame.js'

/** The protocol name, also accepted as the WebSocket subprotocol. */
export const PROTOCOL = 'gangway.v1'

/** The hello frame's data: what a client needs to speak to this gateway. */
export interface HelloData {
  readonly protocol: typeof PROTOCOL
  readonly connectionId: string
  readonly namespace: string
  readonly path: string
  readonly events: readonly string[]
  readonly envelope: string
  readonly maxPayload: number
  readonly heartbeatMs: number | null
}

/** `{ "event": "hello", "data": HelloData }`, sent on connect when the app enables `hello`. */
export function helloFrame(
  connection: { readonly id: string; readonly namespace: string; readonly path: string },
  events: readonly string[],
  settings: { readonly maxPayload: number; readonly heartbeatMs: number | null },
): TextFrame {
  const data: HelloData = {
    protocol: PROTOCOL,
    connectionId: connection.id,
    namespace: connection.namespace,
    path: connection.path,
    events,
    envelope:
      '{ "event": string, "data": any, "id"?: number | string, "deadline"?: epoch ms } — a frame with an id gets exactly one reply or error frame with that id; { "event": "$cancel", "id" } gives it up',
    maxPayload: settings.maxPayload,
    heartbeatMs: settings.heartbeatMs,
  }
  return encodeEvent('hello', data)
}
