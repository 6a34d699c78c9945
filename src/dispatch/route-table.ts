import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { GatewayDefinition } from '../definition/gateway-definition.js'
import type { Handler } from '../contracts/handler.js'
import type { RequestId } from '../protocol/envelope.js'
import { replyEncoder } from '../protocol/frames.js'
import type { OutboundFrame } from '../protocol/text-frame.js'
import { dedupeGuards } from './dedupe-guards.js'
import type { MessageGuard } from '../contracts/guards.js'
/** Everything needed to run one event, resolved once at mount. */
export interface Route {
  /** The path of the gateway the route belongs to. */
  readonly gateway: string
  readonly event: string
  /** Global, gateway and handler guards, deduplicated, in that order. */
  readonly guards: readonly MessageGuard[]
  readonly schema: StandardSchemaV1 | undefined
  readonly handler: Handler
  /** Encodes this event's replies with a precomputed prefix. */
  readonly encodeReply: (data: unknown, id: RequestId | undefined) => OutboundFrame
}

/** The event → route table of one gateway. Built at mount, never changed after. */
export class RouteTable {
  /** The path of the gateway the table belongs to. */
  readonly gateway: string
  readonly #routes: ReadonlyMap<string, Route>

  constructor(definition: GatewayDefinition, globalGuards: readonly MessageGuard[]) {
    this.gateway = definition.path
    const routes = new Map<string, Route>()
    for (const handler of definition.handlers) {
      routes.set(
        handler.event,
        Object.freeze({
          gateway: definition.path,
          event: handler.event,
          guards: dedupeGuards(globalGuards, definition.messageGuards, handler.guards),
          schema: handler.schema,
          handler: handler.handler,
          encodeReply: replyEncoder(handler.event),
        }),
      )
    }
    this.#routes = routes
    Object.freeze(this)
  }

  /** The route for an event. A Map lookup, so hostile names such as `__proto__` simply miss. */
  get(event: string): Route | undefined {
    return this.#routes.get(event)
  }

  /** Subscribed event names, in definition order. */
  events(): string[] {
    return [...this.#routes.keys()]
  }
}
