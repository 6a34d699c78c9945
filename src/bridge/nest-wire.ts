import type { ConsumeOptions } from './broker-link.js'

/**
 * What one broker provides for the NestJS wire (`wire: 'nest'`): publishing
 * NestJS messages to routes and carrying their replies back, in that broker's
 * NestJS conventions. Each broker folder has one (`NestAmqpLink`,
 * `NestNatsLink`, `NestRedisLink`), built on the broker connection of that
 * broker's gangway link; `NestLink` in core does the rest (packets, ids, streams,
 * errors) once for all three.
 */
export interface NestWire {
  /** `undefined` when the wire can take a message now; otherwise the code to answer with. */
  unavailable?(): 'UNAVAILABLE' | 'BUSY' | undefined
  /** Connects what the wire opened besides its gangway link's connection. Idempotent. */
  connect?(): Promise<void>
  /** Requester side: starts receiving replies (once per link). */
  openReplies(replies: NestWireReplies): Promise<void>
  /**
   * Requester side: publishes a request (`message.id` set) or an event to a route.
   * Resolves once the broker took it; rejects with a `GatewayError` coded
   * `UNAVAILABLE` or `BUSY` otherwise.
   */
  send(route: string, body: Buffer, message: NestOutgoing): Promise<void>
  /** Service side: starts taking the messages of a route (on RabbitMQ, of the one queue every route shares). */
  serve(route: string, options: ConsumeOptions, receive: (incoming: NestIncoming) => void): Promise<void>
  /** Closes what the wire opened. Idempotent. */
  close(): Promise<void>
}

/** Where a wire hands what arrives for requests it sent. */
export interface NestWireReplies {
  /**
   * One reply frame. `id` is the request's when the broker carries it beside the
   * body (RabbitMQ's correlation id, the NATS reply subject); on Redis the body has it.
   */
  reply(id: string | undefined, body: Uint8Array): void
  /** The broker says nobody takes request `id` (an unroutable RabbitMQ message, NATS "no responders", a Redis PUBLISH nobody received). */
  unroutable(id: string): void
  /** The replies to every request sent so far are lost (RabbitMQ's reply-to address died with its connection). */
  lost(): void
}

/** One message to publish. */
export interface NestOutgoing {
  /** The request id; `undefined` for an event. */
  readonly id: string | undefined
  /** Epoch ms after which nobody waits for the answer (a broker TTL where there is one). */
  readonly deadline: number | undefined
  /** Headers, where the broker has them (RabbitMQ, NATS): `x-deadline`, `x-connection-id`, `x-trace-id`. */
  readonly headers: Readonly<Record<string, string>>
}

/** One message a NestJS client sent to a route this service serves. */
export interface NestIncoming {
  /** The route it arrived on (Redis channel, NATS subject); `undefined` on RabbitMQ, where the body's `pattern` names it. */
  readonly route: string | undefined
  readonly body: Uint8Array
  readonly redelivered: boolean
  /** The `x-deadline` header, where the broker has headers. */
  readonly deadline: number | undefined
  /** Sends one reply frame to the requester; `undefined` when the message has no reply address. */
  readonly reply: ((body: Buffer) => void) | undefined
  /** Settles the message with the broker: acknowledged, or (`handled: false`, nobody takes it) rejected without requeue. */
  done(handled: boolean): void
}
