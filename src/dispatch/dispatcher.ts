import { isWireSafe } from '../errors/gateway-error.js'
import { loggableError, type Logger } from '../logging/logger.js'
import type { Client } from '../contracts/client-server.js'
import type { GatewayObserver } from '../observability/gateway-observer.js'
import type { Envelope } from '../protocol/envelope.js'
import { encodeError } from '../protocol/frames.js'
import type { OutboundFrame } from '../protocol/text-frame.js'
import { runWithClient } from './ambient-context.js'
import type { MessageGuardContext } from '../contracts/guards.js'
import type { Route, RouteTable } from './route-table.js'
import { validatePayload, type ValidationOutcome } from './validate-payload.js'

/** What the dispatcher needs of a connection. */
export interface DispatchTarget extends Client {
  send(frame: OutboundFrame): boolean
}

/**
 * Runs frames through guards → schema → handler and turns the outcome into
 * exactly one frame for a request: the reply, or an error frame with the
 * request's id. The pipeline stays synchronous until a guard, schema or
 * handler returns a promise, so handlers are invoked in the order frames
 * arrived and a synchronous handler costs no promise at all.
 *
 * `start` is the dispatch time for the observer's latency figure (0 when no
 * observer is configured, so no clock is read).
 */
export class Dispatcher {
  #inflight = 0
  #idleWaiters: Array<() => void> = []

  constructor(
    private readonly logger: Logger,
    private readonly ambient: boolean,
    private readonly observer: GatewayObserver | undefined,
  ) {}

  /** Async handlers (and guards) not yet settled. */
  get inflight(): number {
    return this.#inflight
  }

  dispatch(client: DispatchTarget, routes: RouteTable, envelope: Envelope): void {
    const route = routes.get(envelope.event)
    if (route === undefined) {
      this.observer?.rejected?.(routes.gateway, 'UNKNOWN_EVENT')
      client.send(encodeError('error', envelope.id, 'UNKNOWN_EVENT', `Unknown event "${envelope.event}"`))
      return
    }
    const start = this.observer === undefined ? 0 : performance.now()
    if (this.ambient) runWithClient(client, this.#proceed, this, client, route, envelope, 0, envelope.data, start)
    else this.#proceed(this, client, route, envelope, 0, envelope.data, start)
  }

  /** Resolves when no async handler is in flight. */
  idle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  // Takes an explicit `self` so it can be handed to runWithClient without a closure per frame.
  #proceed(self: Dispatcher, client: DispatchTarget, route: Route, envelope: Envelope, step: number, data: unknown, start: number): void {
    const { guards } = route
    if (step < guards.length) {
      const context: MessageGuardContext = { event: envelope.event, data, id: envelope.id, client }
      for (; step < guards.length; step++) {
        let verdict: unknown
        try {
          verdict = guards[step]!(context)
        } catch (err) {
          return self.#fail(client, route, envelope, err, start)
        }
        if (isPromiseLike(verdict)) {
          const next = step + 1
          return self.#await(client, route, envelope, verdict, start, (allowed) =>
            allowed === true ? self.#proceed(self, client, route, envelope, next, data, start) : self.#forbid(client, route, envelope, start),
          )
        }
        if (verdict !== true) return self.#forbid(client, route, envelope, start)
      }
    }
    if (step === guards.length && route.schema !== undefined) {
      let outcome: ValidationOutcome | Promise<ValidationOutcome>
      try {
        outcome = validatePayload(route.schema, data)
      } catch (err) {
        return self.#fail(client, route, envelope, err, start)
      }
      if (isPromiseLike(outcome)) {
        return self.#await(client, route, envelope, outcome, start, (settled) =>
          self.#afterValidation(client, route, envelope, settled as ValidationOutcome, start),
        )
      }
      return self.#afterValidation(client, route, envelope, outcome, start)
    }
    self.#invoke(client, route, envelope, data, start)
  }

  #afterValidation(client: DispatchTarget, route: Route, envelope: Envelope, outcome: ValidationOutcome, start: number): void {
    if (outcome.ok) return this.#invoke(client, route, envelope, outcome.value, start)
    this.#answerError(client, route, envelope, 'INVALID_PAYLOAD', outcome.message, start)
  }

  #invoke(client: DispatchTarget, route: Route, envelope: Envelope, data: unknown, start: number): void {
    let result: unknown
    try {
      result = route.handler(data, client, envelope)
    } catch (err) {
      return this.#fail(client, route, envelope, err, start)
    }
    if (isPromiseLike(result)) this.#await(client, route, envelope, result, start, (value) => this.#reply(client, route, envelope, value, start))
    else this.#reply(client, route, envelope, result, start)
  }

  #reply(client: DispatchTarget, route: Route, envelope: Envelope, value: unknown, start: number): void {
    if (value === undefined) {
      if (envelope.id === undefined) return this.#observe(route, 'ok', start)
      value = null
    }
    let frame: OutboundFrame
    try {
      frame = route.encodeReply(value, envelope.id)
    } catch (err) {
      return this.#fail(client, route, envelope, err, start)
    }
    client.send(frame)
    this.#observe(route, 'ok', start)
  }

  #forbid(client: DispatchTarget, route: Route, envelope: Envelope, start: number): void {
    this.logger.debug({ connectionId: client.id, userId: client.userId, event: route.event }, 'message guard denied')
    this.#answerError(client, route, envelope, 'FORBIDDEN', 'Forbidden', start)
  }

  #fail(client: DispatchTarget, route: Route, envelope: Envelope, err: unknown, start: number): void {
    const where = { connectionId: client.id, userId: client.userId, event: route.event }
    if (isWireSafe(err)) {
      this.logger.warn({ ...where, code: err.code }, `handler rejected: ${err.message}`)
      return this.#answerError(client, route, envelope, err.code, err.message, start)
    }
    this.logger.warn({ ...where, err: loggableError(err) }, 'handler failed')
    this.#answerError(client, route, envelope, 'INTERNAL', 'Internal error', start)
  }

  #answerError(client: DispatchTarget, route: Route, envelope: Envelope, code: string, message: string, start: number): void {
    client.send(encodeError(route.event, envelope.id, code, message))
    this.#observe(route, code, start)
  }

  #observe(route: Route, outcome: string, start: number): void {
    this.observer?.handled?.(route.gateway, route.event, outcome, performance.now() - start)
  }

  #await(
    client: DispatchTarget,
    route: Route,
    envelope: Envelope,
    pending: PromiseLike<unknown>,
    start: number,
    next: (value: unknown) => void,
  ): void {
    this.#inflight++
    Promise.resolve(pending).then(
      (value) => {
        try {
          next(value)
        } catch (err) {
          this.#fail(client, route, envelope, err, start)
        } finally {
          this.#settle()
        }
      },
      (err: unknown) => {
        this.#fail(client, route, envelope, err, start)
        this.#settle()
      },
    )
  }

  #settle(): void {
    if (--this.#inflight === 0 && this.#idleWaiters.length > 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve()
    }
  }
}

/** Whether a guard, schema, handler or hook returned something to await. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value instanceof Promise || (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function')
}
