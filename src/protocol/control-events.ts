import { replyEncoder } from './frames.js'

/**
 * Event names that start with `$` belong to the protocol itself, never to an
 * application handler (`defineGateway` refuses them), so control frames can
 * be added without colliding with anyone's events.
 */
export const RESERVED_EVENT_PREFIX = '$'

/**
 * The client's liveness probe: `{ "event": "$ping", "id": … }` is answered at
 * once with `{ "event": "$ping", "data": null, "id": … }`, before any guard or
 * handler, even while the server drains. Browsers cannot send WebSocket pings,
 * so `gangway-ws/client` sends this on an idle connection to notice a server
 * that stopped answering (a frozen process, a dead route).
 */
export const PING_EVENT = '$ping'

/**
 * A client giving up on a request it sent: `{ "event": "$cancel", "id": <the request's id> }`.
 * It has no answer of its own. The request it names gets exactly one answer, `CANCELLED`,
 * from the gateway at once if it is still in flight and can be cancelled (a forwarded
 * request); the service working on it sees its `ctx.signal` abort, and its late reply is
 * discarded. A request already answered, or one that cannot be cancelled, is left alone.
 */
export const CANCEL_EVENT = '$cancel'

/** Whether an event name is reserved for the protocol. */
export function isReservedEvent(event: string): boolean {
  return event.startsWith(RESERVED_EVENT_PREFIX)
}

/** The answer to a `$ping` request. */
export const encodePong = replyEncoder(PING_EVENT)

/**
 * Presence pushed to a connection that joined a room with `{ presence: true }`: first
 * `{ "event": "$presence", "data": { "room", "members" } }`, then `{ "room", "joins", "leaves" }`
 * for each tick in which members came or went.
 */
export const PRESENCE_EVENT = '$presence'

/**
 * The answer to a join that asked for a room's history (`since` in the envelope, or a join of a
 * room with history): `{ "event": "$recovery", "data": { "room", "recovered", "reason"?, "epoch",
 * "offset", "replayed" } }`, sent before the replayed messages and before any newer live one.
 */
export const RECOVERY_EVENT = '$recovery'
