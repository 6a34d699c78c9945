import type { BroadcastTarget } from '../registry/namespace-adapter.js'

/**
 * What travels through the broker between gateways, services and requesters.
 * A broker message carries a JSON array of records, so several records bound
 * for the same place in the same tick share one broker message (one publish,
 * one confirm, one delivery) — the broker's work per request is what limits a
 * bridge, not JSON.
 */

/** Who sent a forwarded frame; every service handler sees it as `ctx.meta`. */
export interface ForwardMeta {
  /** The connection the frame came from (`<nodeId>-<n>`). */
  readonly connectionId?: string
  /** The gateway node that owns the connection. */
  readonly nodeId?: string
  /** The namespace of the gateway the frame arrived on. */
  readonly namespace?: string
  /** The user id of the connection's principal, if any. */
  readonly userId?: string
  /** The principal itself, when it is plain JSON. */
  readonly user?: unknown
  /** The client event that was forwarded. */
  readonly event?: string
  /** The client's request `id`, when the frame was a request. */
  readonly requestId?: string | number
  /** A trace id for logs across gateway and services (32 hex characters). */
  readonly traceId?: string
  /** Anything else the caller attached. */
  readonly [key: string]: unknown
}

/** A request (`r` set: reply wanted at inbox `r`) or an event (`r` absent). */
export interface RequestRecord {
  readonly t: 'q'
  /** Correlation id, unique within the reply inbox; also the dedupe key. */
  readonly c: string
  /** Pattern. */
  readonly p: string
  /** Data. */
  readonly d: unknown
  /** Metadata. */
  readonly m: ForwardMeta
  /** Reply inbox, for requests. */
  readonly r?: string
  /** Deadline (epoch ms) after which nobody waits for the answer any more. */
  readonly x?: number
}

/** A reply to request `c`. */
export interface ReplyRecord {
  readonly t: 'a'
  readonly c: string
  readonly d: unknown
}

/** A failed request `c`: a wire-safe code and message. */
export interface ErrorRecord {
  readonly t: 'e'
  readonly c: string
  readonly e: {
    readonly code: string
    readonly message: string
    /** Set by a link that knows why: `no-service` when the broker says nobody subscribes to the pattern. */
    readonly reason?: 'no-service'
  }
}

/** A push to connections of a namespace on gateway nodes. */
export interface PushRecord {
  readonly t: 'p'
  /** Namespace. */
  readonly n: string
  /** Targets. */
  readonly g: BroadcastTarget
  /** Event. */
  readonly e: string
  /** Data. */
  readonly d: unknown
}

/** Why a requester gave up on a request before its answer: the client cancelled it, or its connection closed. */
export type CancelReason = 'cancelled' | 'disconnected'

/**
 * A requester gave up on request `c` of inbox `r` (sent to every service: the
 * requester cannot know which instance took it). The service aborts the
 * handler's `ctx.signal`, or skips the request if it has not started it yet.
 */
export interface CancelRecord {
  readonly t: 'k'
  readonly c: string
  readonly r: string
  /** Why. */
  readonly w: CancelReason
}

export type BridgeRecord = RequestRecord | ReplyRecord | ErrorRecord | PushRecord | CancelRecord

/** Encodes records into one broker message body. */
export function encodeRecords(records: readonly BridgeRecord[]): Buffer {
  return Buffer.from(JSON.stringify(records))
}

/**
 * Decodes a broker message body. Returns `undefined` for anything that is not
 * an array of records (a stray message on our queue must not crash anyone).
 */
export function decodeRecords(body: Uint8Array | string): BridgeRecord[] | undefined {
  let value: unknown
  try {
    value = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString())
  } catch {
    return undefined
  }
  if (!Array.isArray(value)) return undefined
  for (const record of value) {
    if (typeof record !== 'object' || record === null || typeof (record as { t?: unknown }).t !== 'string') return undefined
  }
  return value as BridgeRecord[]
}
