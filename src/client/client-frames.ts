// Pure module: the client's browser bundle includes it, so no Node built-ins here.
import { GatewayError } from '../errors/gateway-error.js'

/** A frame from the server, as the client sorts it. */
export type ServerFrame =
  | { readonly kind: 'reply'; readonly id: number | string; readonly data: unknown }
  | { readonly kind: 'error'; readonly id: number | string | undefined; readonly event: string | undefined; readonly error: GatewayError }
  | { readonly kind: 'push'; readonly event: string; readonly data: unknown; readonly history?: { readonly room: string; readonly offset: number; readonly epoch: string } }
  | { readonly kind: 'malformed'; readonly error: GatewayError }

/**
 * Serializes `data` for a frame, once, at the call: the caller may change the object
 * afterwards without changing what is sent. `undefined` means "no data".
 * Throws `INVALID_ARGUMENT` for values JSON cannot carry (BigInt, cycles).
 */
export function serializeData(event: string, data: unknown): string | undefined {
  if (typeof event !== 'string' || event.length === 0) {
    throw new GatewayError('INVALID_ARGUMENT', `The event name must be a non-empty string, got ${JSON.stringify(event) ?? String(event)}`)
  }
  try {
    return JSON.stringify(data)
  } catch (cause) {
    throw new GatewayError('INVALID_ARGUMENT', `The data of "${event}" cannot be sent as JSON: ${(cause as Error).message}`, { cause })
  }
}

/**
 * `{ "event", "data"?, "id"?, "deadline"?, "since"? }` — the envelope the gateway reads; `deadline`
 * is epoch ms, `since` (JSON) where the client is in the histories of the rooms the request joins.
 */
export function encodeClientFrame(event: string, dataJson: string | undefined, id: number | undefined, deadline?: number, sinceJson?: string): string {
  const data = dataJson === undefined ? '' : `,"data":${dataJson}`
  const since = sinceJson === undefined ? '' : `,"since":${sinceJson}`
  return `{"event":${JSON.stringify(event)}${data}${id === undefined ? '' : `,"id":${id}`}${deadline === undefined ? '' : `,"deadline":${deadline}`}${since}}`
}

/** `{ "event": "$cancel", "id" }` — gives up on a request sent earlier (no answer of its own). */
export function encodeCancelFrame(id: number): string {
  return `{"event":"$cancel","id":${id}}`
}

/** Sorts one text frame from the server: a reply, an error frame, a push, or something malformed. Never throws. */
export function parseServerFrame(text: unknown): ServerFrame {
  if (typeof text !== 'string') return malformed('The server sent a binary frame; gangway speaks JSON text frames')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return malformed('The server sent a frame that is not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return malformed('The server sent a frame that is not an envelope object')
  const frame = value as { event?: unknown; data?: unknown; id?: unknown; error?: unknown; room?: unknown; offset?: unknown; epoch?: unknown }
  const id = typeof frame.id === 'number' || typeof frame.id === 'string' ? frame.id : undefined
  const event = typeof frame.event === 'string' ? frame.event : undefined
  if (frame.error !== undefined) {
    const { code, message } = (frame.error ?? {}) as { code?: unknown; message?: unknown }
    const error =
      typeof code === 'string' && code.length > 0
        ? new GatewayError(code, typeof message === 'string' ? message : code)
        : new GatewayError('BAD_FRAME', 'The server sent an error frame without a code')
    return { kind: 'error', id, event, error }
  }
  if (id !== undefined) return { kind: 'reply', id, data: frame.data }
  if (event === undefined || event.length === 0) return malformed('The server sent a frame without an event name')
  const { room, offset, epoch } = frame
  // A push to a room with history carries its place in the room's stream.
  if (typeof room === 'string' && typeof offset === 'number' && typeof epoch === 'string') return { kind: 'push', event, data: frame.data, history: { room, offset, epoch } }
  return { kind: 'push', event, data: frame.data }
}

function malformed(message: string): ServerFrame {
  return { kind: 'malformed', error: new GatewayError('BAD_FRAME', message) }
}
