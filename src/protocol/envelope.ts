import { findForbiddenKey, nestingDepthExceeds } from './hostile-json.js'
import { readSince, type SinceField } from './since-field.js'

/** A request id: a client-chosen number or string echoed in the one answer. */
export type RequestId = number | string

/** A frame from a client: `{ "event", "data", "id"?, "deadline"? }`. */
export interface Envelope {
  readonly event: string
  readonly data: unknown
  readonly id: RequestId | undefined
  /**
   * When the client stops waiting for the answer (epoch ms, by the client's clock; see
   * `readDeadline`), or `undefined`. The gateway may shorten it, never extend it.
   */
  readonly deadline: number | undefined
  /** Per room, where the client is in the room's history (see `readSince`); absent when not sent. */
  readonly since?: SinceField
}

/**
 * The furthest ahead a client deadline may lie; later ones are clamped to it (a
 * forwarded request is capped again by its `forward` timeout).
 */
export const MAX_DEADLINE_AHEAD_MS = 24 * 60 * 60 * 1000

/**
 * The `deadline` of a frame, checked against this gateway's clock: a finite epoch-ms
 * number later than now, clamped to `MAX_DEADLINE_AHEAD_MS` ahead. Anything else is
 * ignored (`undefined`): a deadline already past by our clock may as well be a client
 * clock running behind ours, and honouring it would fail every request of that client
 * at once. A client that gives up on a request it sent says so with `$cancel` instead.
 */
export function readDeadline(value: unknown, now: number): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= now) return undefined
  return Math.min(value, now + MAX_DEADLINE_AHEAD_MS)
}

/** Why a frame is not a valid envelope; `id`/`event` are echoed when they were readable. */
export interface EnvelopeFailure {
  readonly failure: string
  readonly id: RequestId | undefined
}

/** Limits applied while parsing client frames. */
export interface EnvelopeLimits {
  /** Deepest nesting of objects and arrays accepted in a frame. */
  readonly maxDepth: number
  /** Longest event name accepted. */
  readonly maxEventLength: number
  /** Longest string id accepted. */
  readonly maxIdLength: number
}

/**
 * Parses one text frame. Returns the envelope, or a failure carrying a message
 * safe to put on the wire. Never throws.
 */
export function parseEnvelope(text: string, limits: EnvelopeLimits): Envelope | EnvelopeFailure {
  if (nestingDepthExceeds(text, limits.maxDepth)) {
    return { failure: `Frame nests deeper than ${limits.maxDepth} levels`, id: undefined }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { failure: 'Frame is not valid JSON', id: undefined }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { failure: 'Frame must be a JSON object { event, data, id? }', id: undefined }
  }
  const frame = value as Record<string, unknown>
  const rawId = frame.id
  let id: RequestId | undefined
  if (rawId === undefined || rawId === null) {
    id = undefined
  } else if (typeof rawId === 'number' ? Number.isFinite(rawId) : typeof rawId === 'string' && rawId.length <= limits.maxIdLength) {
    id = rawId as RequestId
  } else {
    return { failure: `"id" must be a finite number or a string of at most ${limits.maxIdLength} characters`, id: undefined }
  }
  const event = frame.event
  if (typeof event !== 'string' || event.length === 0 || event.length > limits.maxEventLength) {
    return { failure: `"event" must be a non-empty string of at most ${limits.maxEventLength} characters`, id }
  }
  const forbidden = findForbiddenKey(text, value)
  if (forbidden !== undefined) {
    return { failure: `Frame contains the forbidden key "${forbidden}"`, id }
  }
  const deadline = frame.deadline === undefined ? undefined : readDeadline(frame.deadline, Date.now())
  if (frame.since === undefined) return { event, data: frame.data, id, deadline }
  const since = readSince(frame.since)
  if (typeof since === 'string') return { failure: since, id }
  return { event, data: frame.data, id, deadline, since }
}

/** Whether a parse result is a failure. */
export function isEnvelopeFailure(result: Envelope | EnvelopeFailure): result is EnvelopeFailure {
  return (result as EnvelopeFailure).failure !== undefined
}
