import type { RequestId } from './envelope.js'
import { encodeTextFrame, type TextFrame } from './text-frame.js'

/**
 * Encoders for the frames gangway sends. Replies and error frames echo the
 * request `id`; pushes carry none. Every encoder returns a framed buffer or
 * throws (a `RangeError` for values too deep, a `TypeError` for BigInt or
 * cycles) for the caller to turn into an `INTERNAL` error frame.
 */

/** `{ "event", "data" }` — a push. */
export function encodeEvent(event: string, data: unknown): TextFrame {
  return encodeTextFrame(`{"event":${JSON.stringify(event)},"data":${stringifyData(data)}}`)
}

/**
 * A reply encoder bound to one event, with the `{"event":"<name>","data":` prefix
 * computed once at mount instead of on every reply.
 */
export function replyEncoder(event: string): (data: unknown, id: RequestId | undefined) => TextFrame {
  const prefix = `{"event":${JSON.stringify(event)},"data":`
  return (data, id) => encodeTextFrame(prefix + stringifyData(data) + idSuffix(id))
}

/** `{ "event", "id"?, "error": { "code", "message" } }` — an error frame. */
export function encodeError(event: string, id: RequestId | undefined, code: string, message: string): TextFrame {
  return encodeTextFrame(
    `{"event":${JSON.stringify(event)}${id === undefined ? '' : `,"id":${JSON.stringify(id)}`},"error":{"code":${JSON.stringify(code)},"message":${JSON.stringify(message)}}}`,
  )
}

function stringifyData(data: unknown): string {
  // `JSON.stringify` returns undefined for undefined, functions and symbols.
  return JSON.stringify(data) ?? 'null'
}

function idSuffix(id: RequestId | undefined): string {
  if (id === undefined) return '}'
  return typeof id === 'number' ? `,"id":${id}}` : `,"id":${JSON.stringify(id)}}`
}

/**
 * `{ "event", "data", "room", "offset", "epoch" }` — a push to a room with history. `data` is JSON
 * text already (stored once, replayed and fanned out as is); `room` and `epoch` come JSON-encoded.
 */
export function encodeHistoryEvent(event: string, data: string, roomJson: string, offset: number, epochJson: string): TextFrame {
  return encodeTextFrame(`{"event":${JSON.stringify(event)},"data":${data},"room":${roomJson},"offset":${offset},"epoch":${epochJson}}`)
}
