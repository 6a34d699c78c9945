import { isWellFormedCode } from '../errors/error-codes.js'
import type { ErrorRecord, ForwardMeta, ReplyRecord } from './bridge-records.js'

/**
 * The messages of NestJS microservices (`@nestjs/microservices` 10–12) on RabbitMQ,
 * NATS and Redis: UTF-8 JSON, the same on all three.
 *
 * - request `{ pattern, data, metadata?, id }`, event the same without `id`;
 * - reply frames `{ response | err, isDisposed?, id? }`: a handler's Observable
 *   sends one frame per value, and the last carries (or is) `isDisposed: true`.
 */

/** What a NestJS RabbitMQ server answers a request no handler takes. */
export const NEST_NO_HANDLER = 'There is no matching message handler defined in the remote service.'

/** The keys of a NestJS reply envelope: a reply with any other key is a whole value (NestJS 12's rule). */
const ENVELOPE_KEYS = new Set(['id', 'err', 'response', 'isDisposed', 'status'])

/** A NestJS request or event as gangway reads it (service side). */
export interface NestIncomingPacket {
  readonly pattern: unknown
  readonly data: unknown
  /** Present: a request (a reply is sent); absent: an event. */
  readonly id: unknown
  readonly metadata: Readonly<Record<string, unknown>> | undefined
}

/** One reply frame as a NestJS client reads it. */
export type NestReplyFrame =
  | { readonly kind: 'next'; readonly id: unknown; readonly response: unknown }
  | { readonly kind: 'done'; readonly id: unknown; readonly response: unknown; readonly hasResponse: boolean }
  | { readonly kind: 'error'; readonly id: unknown; readonly err: unknown }

/** The `pattern` a request body carries for a route: an object pattern as the object, a name as is. */
export function bodyPattern(route: string): unknown {
  if (!route.startsWith('{')) return route
  try {
    return JSON.parse(route)
  } catch {
    return route
  }
}

/**
 * The `metadata` of a NestJS packet (`Record<string, string>`; NestJS 12 hands it to
 * Redis handlers as `ctx.getMetadata()`): the request's deadline (epoch ms), and who
 * asked — the connection id (to push to it) and the trace id. Kept to these three: every
 * byte is parsed by the NestJS service, every request.
 */
export function nestMetadata(meta: ForwardMeta, deadline: number | undefined): Record<string, string> {
  const metadata: Record<string, string> = {}
  if (deadline !== undefined) metadata.deadline = String(deadline)
  if (typeof meta.connectionId === 'string') metadata.connectionId = meta.connectionId
  if (typeof meta.traceId === 'string') metadata.traceId = meta.traceId
  return metadata
}

/** The same as headers, for the brokers that have them (RabbitMQ, NATS): `x-deadline`, `x-connection-id`, `x-trace-id`. */
export function nestHeaders(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {}
  if (metadata.deadline !== undefined) headers['x-deadline'] = metadata.deadline
  if (metadata.connectionId !== undefined) headers['x-connection-id'] = metadata.connectionId
  if (metadata.traceId !== undefined) headers['x-trace-id'] = metadata.traceId
  return headers
}

/** A request or event body, keys in NestJS's order (`pattern, data, metadata, id`). */
export function encodeNestRequest(route: string, data: unknown, metadata: Record<string, string>, id: string | undefined): Buffer {
  const packet: Record<string, unknown> = { pattern: bodyPattern(route), data: data === undefined ? null : data, metadata }
  if (id !== undefined) packet.id = id
  return Buffer.from(JSON.stringify(packet))
}

/** Sorts one reply frame the way a NestJS 12 client does (a body that is not JSON is one string value, as on RabbitMQ). */
export function readNestReply(body: Uint8Array): NestReplyFrame {
  const value = parseBody(body)
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.keys(value).every((key) => ENVELOPE_KEYS.has(key))) {
    // Not an envelope: NestJS delivers the whole value as the one response.
    return { kind: 'done', id: undefined, response: value, hasResponse: true }
  }
  const frame = value as { id?: unknown; err?: unknown; response?: unknown; isDisposed?: unknown }
  if (frame.err) return { kind: 'error', id: frame.id, err: frame.err }
  if (frame.isDisposed) return { kind: 'done', id: frame.id, response: frame.response, hasResponse: frame.response !== undefined }
  return { kind: 'next', id: frame.id, response: frame.response }
}

/**
 * The wire error for a NestJS service's `err`. Only an error the service shaped for
 * clients on purpose keeps its words: an object whose `code` is a well-formed wire
 * code (`UPPER_SNAKE`) and whose `message` is a string — `throw new RpcException({
 * code: 'OUT_OF_STOCK', message: 'Sold out' })`. A handler NestJS does not have
 * becomes `UNKNOWN_EVENT`, as with gangway services; anything else (a plain
 * `RpcException('text')`, NestJS's "Internal server error", a custom filter's
 * output) becomes `INTERNAL` / "Internal error", exactly what the gateway says of its
 * own handlers' unexpected failures: the service's words stay in logs.
 */
export function wireErrorOfNest(err: unknown): { code: string; message: string } {
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown }
    if (isWellFormedCode(code) && typeof message === 'string') return { code, message }
  }
  if (err === NEST_NO_HANDLER) return { code: 'UNKNOWN_EVENT', message: 'No handler for this message' }
  return { code: 'INTERNAL', message: 'Internal error' }
}

/**
 * Reads a request a NestJS client sent (NestJS's incoming-request rule): an object
 * with `pattern` or `data` is a packet as is; anything else is the `data` of an
 * event on `channel`.
 */
export function readNestRequest(body: Uint8Array, channel: string | undefined): NestIncomingPacket {
  const value = parseBody(body)
  if (typeof value === 'object' && value !== null && ((value as { pattern?: unknown }).pattern !== undefined || (value as { data?: unknown }).data !== undefined)) {
    const packet = value as { pattern?: unknown; data?: unknown; id?: unknown; metadata?: unknown }
    const metadata = typeof packet.metadata === 'object' && packet.metadata !== null ? (packet.metadata as Record<string, unknown>) : undefined
    return { pattern: packet.pattern ?? channel, data: packet.data, id: packet.id, metadata }
  }
  return { pattern: channel, data: value, id: undefined, metadata: undefined }
}

/**
 * gangway's answer as one NestJS reply frame: the envelope keys only, `isDisposed:
 * true` always (a gangway handler answers once). An error is `{ status: 'error',
 * code, message }`: what a NestJS client's `catchError` receives.
 */
export function encodeNestReply(answer: ReplyRecord | ErrorRecord, id: unknown): Buffer {
  const frame: Record<string, unknown> =
    answer.t === 'a' ? { response: answer.d, isDisposed: true } : { err: { status: 'error', code: answer.e.code, message: answer.e.message }, isDisposed: true }
  if (id !== undefined) frame.id = id
  return Buffer.from(JSON.stringify(frame))
}

/** The reply to a request no handler of this service takes, as a NestJS RabbitMQ server words it. */
export function encodeNestNoHandler(id: unknown): Buffer {
  return Buffer.from(JSON.stringify({ id, err: NEST_NO_HANDLER, status: 'error' }))
}

/** A message body as NestJS reads it: JSON, or else the text itself. */
function parseBody(body: Uint8Array): unknown {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString()
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
