import { isWireSafe } from '../errors/gateway-error.js'
import type { Logger } from '../logging/logger.js'
import type { Client } from '../connection/client.js'
import type { Envelope } from '../protocol/envelope.js'
import { encodeError } from '../protocol/frames.js'
import type { TextFrame } from '../protocol/text-frame.js'
import { runWithClient } from './ambient-context.js'
import type { MessageGuardContext } from './guards.js'
import type { Route, RouteTable } from './route-table.js'
import { validatePayload, type ValidationOutcome } from './validate-payload.js'

/** What the dispatcher needs of a connection. */
export interface DispatchTarget extends Client {
  send(frame: TextFrame): boolean
}

/**
 * Runs frames through guards → schema → handler and turns the outcome into
 * exactly one frame for a request: the reply, or an error frame with the
 * request's id. The pipeline stays synchronous until a guard, schema or
 * handler returns a promise, so handlers are invoked in the order frames
 * arrived and a synchronous handler costs no promise at all.
 */
export class Dispatcher {
  #inflight = 0
  #idleWaiters: Array<() => void> = []

  constructor(
    private readonly logger: Logger,
    private readonly ambient: boolean,
  ) {}

  /** Async handlers (and guards) not yet settled. */
  get inflight(): number {
    return this.#inflight
  }

  dispatch(client: DispatchTarget, routes: RouteTable, envelope: Envelope): void {
    const route = routes.get(envelope.event)
    if (route === undefined) {
      client.send(encodeError('error', envelope.id, 'UNKNOWN_EVENT', `Unknown event "${envelope.event}"`))
      return
    }
    if (this.ambient) runWithClient(client, this.#proceed, this, client, route, envelope, 0, envelope.data)
    else this.#proceed(this, client, route, envelope, 0, envelope.data)
  }

  /** Resolves when no async handler is in flight. */
  idle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  // Static-shaped (explicit `self`) so it can be passed to runWithClient without a closure per frame.
  #proceed(self: Dispatcher, client: DispatchTarget, route: Route, envelope: Envelope, step: number, data: unknown): void {
    const { guards } = route
    if (step < guards.length) {
      const context: MessageGuardContext = { event: envelope.event, data, id: envelope.id, client }
      for (; step < guards.length; step++) {
        let verdict: unknown
        try {
          verdict = guards[step]!(context)
        } catch (err) {
          return self.#fail(client, route, envelope, err)
        }
        if (isPromiseLike(verdict)) {
          const next = step + 1
          return self.#await(client, route, envelope, verdict, (allowed) =>
            allowed === true ? self.#proceed(self, client, route, envelope, next, data) : self.#forbid(client, route, envelope),
          )
        }
        if (verdict !== true) return self.#forbid(client, route, envelope)
      }
    }
    if (step === guards.length && route.schema !== undefined) {
      let outcome: ValidationOutcome | Promise<ValidationOutcome>
      try {
        outcome = validatePayload(route.schema, data)
      } catch (err) {
        return self.#fail(client, route, envelope, err)
      }
      if (isPromiseLike(outcome)) {
        return self.#await(client, route, envelope, outcome, (settled) => self.#afterValidation(client, route, envelope, settled as ValidationOutcome))
      }
      return self.#afterValidation(client, route, envelope, outcome)
    }
    self.#invoke(client, route, envelope, data)
  }

  #afterValidation(client: DispatchTarget, route: Route, envelope: Envelope, outcome: ValidationOutcome): void {
    if (outcome.ok) this.#invoke(client, route, envelope, outcome.value)
    else client.send(encodeError(route.event, envelope.id, 'INVALID_PAYLOAD', outcome.message))
  }

  #invoke(client: DispatchTarget, route: Route, envelope: Envelope, data: unknown): void {
    let result: unknown
    try {
      result = route.handler(data, client)
    } catch (err) {
      return this.#fail(client, route, envelope, err)
    }
    if (isPromiseLike(result)) this.#await(client, route, envelope, result, (value) => this.#reply(client, route, envelope, value))
    else this.#reply(client, route, envelope, result)
  }

  #reply(client: DispatchTarget, route: Route, envelope: Envelope, value: unknown): void {
    if (value === undefined) {
      if (envelope.id === undefined) return
      value = null
    }
    let frame: TextFrame
    try {
      frame = route.encodeReply(value, envelope.id)
    } catch (err) {
      return this.#fail(client, route, envelope, err)
    }
    client.send(frame)
  }

  #forbid(client: DispatchTarget, route: Route, envelope: Envelope): void {
    this.logger.debug({ connectionId: client.id, userId: client.userId, event: route.event }, 'message guard denied')
    client.send(encodeError(route.event, envelope.id, 'FORBIDDEN', 'Forbidden'))
  }

  #fail(client: DispatchTarget, route: Route, envelope: Envelope, err: unknown): void {
    const where = { connectionId: client.id, userId: client.userId, event: route.event }
    if (isWireSafe(err)) {
      this.logger.warn({ ...where, code: err.code }, `handler rejected: ${err.message}`)
      client.send(encodeError(route.event, envelope.id, err.code, err.message))
      return
    }
    this.logger.warn({ ...where, err }, 'handler failed')
    client.send(encodeError(route.event, envelope.id, 'INTERNAL', 'Internal error'))
  }

  #await(client: DispatchTarget, route: Route, envelope: Envelope, pending: PromiseLike<unknown>, next: (value: unknown) => void): void {
    this.#inflight++
    Promise.resolve(pending).then(
      (value) => {
        try {
          next(value)
        } catch (err) {
          this.#fail(client, route, envelope, err)
        } finally {
          this.#settle()
        }
      },
      (err: unknown) => {
        this.#fail(client, route, envelope, err)
        this.#settle()
      },
    )
  }

  #settle(): void {
    if (--this.#inflight === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const resolve of waiters) resolve()
    }
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value instanceof Promise || (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function')
}
