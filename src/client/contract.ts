// Types only: erased from the build, so importing them from core's public surface costs the bundle nothing.
import type { EventMap } from '../index.js'

/** Pushes a gateway sends (`server.to(room).emit(event, data)`): data by event name. */
export type PushMap = Record<string, unknown>

// Constraints are `object`, not index signatures, so events and pushes declared as interfaces fit too.

/**
 * What a client knows of a gateway: the events it handles (request data and reply by
 * event name) and, optionally, the pushes it sends. A `defineGateway(...)` builder is
 * one already (`createClient<typeof chat>(url)`); a decorated gateway exports one,
 * written with {@link ContractOf}.
 */
export interface GatewayContract<Events extends object = EventMap, Pushes extends object = PushMap> {
  readonly events: Events
  readonly pushes?: Pushes
}

/** Anything a client can be typed from: a contract or a builder (both have `events`). */
export interface ContractLike {
  readonly events: object
}

/** `{ data, reply }` of one handler, read from its signature `(data, client) => reply`. */
export type HandlerContract<Handler> = Handler extends (data: infer Data, ...rest: never[]) => infer Reply
  ? { data: Data; reply: Awaited<Reply> }
  : never

/**
 * The contract of a decorated gateway class, from a map of event name → method name
 * (decorators put event names in metadata, not in the class's type) and the pushes
 * the gateway sends. Data and reply types follow the methods, so they stay in step.
 *
 * @example
 * export type ChatContract = ContractOf<ChatGateway, { join: 'join'; publish: 'publish' }, { message: ChatMessage }>
 */
export type ContractOf<Gateway, Methods extends Record<string, keyof Gateway>, Pushes extends object = PushMap> = GatewayContract<
  { [Event in keyof Methods & string]: HandlerContract<Gateway[Methods[Event]]> },
  Pushes
>

/** A builder's (or contract's) events plus the pushes its gateway sends. */
export type WithPushes<G extends ContractLike, Pushes extends object> = GatewayContract<G['events'], Pushes>

/** The events of `G`. */
export type EventsOf<G extends ContractLike> = G['events']

/** The event names `G` handles. */
export type EventName<G extends ContractLike> = keyof G['events'] & string

/** The request data of event `E`. */
export type RequestData<G extends ContractLike, E extends EventName<G>> = G['events'][E] extends { readonly data: infer D } ? D : never

/** The reply of event `E` as it arrives: a handler returning nothing replies `null`. */
export type ReplyOf<G extends ContractLike, E extends EventName<G>> = G['events'][E] extends { readonly reply: infer R } ? WireReply<R> : never

type WireReply<R> = [R] extends [undefined | void] ? null : R

/** The pushes of `G`: its declared `pushes`, or any event with unknown data. */
export type PushesOf<G> = G extends { readonly pushes?: infer P } ? ([NonNullable<P>] extends [object] ? NonNullable<P> : PushMap) : PushMap

/** The push event names of `G`. */
export type PushName<G> = keyof PushesOf<G> & string

/** The data of push `E`. */
export type PushData<G, E extends PushName<G>> = PushesOf<G>[E]

/** `request()` arguments after the event: data may be left out where the handler accepts `undefined`. */
export type RequestArgs<G extends ContractLike, E extends EventName<G>, Options> = undefined extends RequestData<G, E>
  ? [data?: RequestData<G, E>, options?: Options]
  : [data: RequestData<G, E>, options?: Options]

/** `emit()` arguments after the event. */
export type EmitArgs<G extends ContractLike, E extends EventName<G>> = undefined extends RequestData<G, E>
  ? [data?: RequestData<G, E>]
  : [data: RequestData<G, E>]
