import type { StandardSchemaV1 } from '@standard-schema/spec'
import { GatewayError } from '../errors/gateway-error.js'
import { isReservedEvent, PING_EVENT, RESERVED_EVENT_PREFIX } from '../protocol/control-events.js'
import type { AnyMessageGuard } from '../contracts/guards.js'
import { DEFAULT_NAMESPACE, type GatewayConfig, type GatewayDefinition, type HandlerDefinition, normalizePath } from './gateway-definition.js'
import type { Handler, LifecycleHook } from '../contracts/handler.js'
/** The events a gateway handles: request payload and reply types by event name. */
export type EventMap = Record<string, { readonly data: unknown; readonly reply: unknown }>

/** Options of one subscription. */
export interface SubscribeOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /** A Standard Schema (zod, valibot, arktype, ...) validating `data`. @default none */
  schema?: S
  /** Per-handler message guards. @default [] */
  guards?: readonly AnyMessageGuard[]
}

type AddEvent<Events extends EventMap, E extends string, In, Out> = Events & { [K in E]: { data: In; reply: Awaited<Out> } }

const kBuild = Symbol.for('gangway.buildDefinition')

/**
 * A gateway defined without decorators. Immutable: every call returns a new
 * builder, and its type accumulates the events so a client can be typed from it.
 *
 * @example
 * const chat = defineGateway({ path: '/chat' })
 *   .subscribe('echo', (data: string) => data)
 *   .subscribe('join', { schema: z.object({ room: z.string() }) }, async ({ room }, client) => {
 *     await client.join(room)
 *     return { room }
 *   })
 */
export class GatewayBuilder<User = unknown, Events extends EventMap = {}> {
  /** Type-only: the events this gateway handles. */
  declare readonly events: Events

  readonly #config: Readonly<GatewayConfig>
  readonly #handlers: readonly HandlerDefinition[]
  readonly #onConnect: readonly LifecycleHook[]
  readonly #onDisconnect: readonly LifecycleHook[]

  constructor(
    config: GatewayConfig,
    handlers: readonly HandlerDefinition[] = [],
    onConnect: readonly LifecycleHook[] = [],
    onDisconnect: readonly LifecycleHook[] = [],
  ) {
    this.#config = config
    this.#handlers = handlers
    this.#onConnect = onConnect
    this.#onDisconnect = onDisconnect
  }

  /** Subscribes a handler to an event, optionally with a schema and guards. */
  subscribe<E extends string, D = unknown, R = unknown>(
    event: E,
    handler: Handler<D, R, User>,
  ): GatewayBuilder<User, AddEvent<Events, E, D, R>>
  subscribe<E extends string, S extends StandardSchemaV1, R>(
    event: E,
    options: SubscribeOptions<S> & { schema: S },
    handler: Handler<StandardSchemaV1.InferOutput<S>, R, User>,
  ): GatewayBuilder<User, AddEvent<Events, E, StandardSchemaV1.InferInput<S>, R>>
  subscribe<E extends string, D = unknown, R = unknown>(
    event: E,
    options: SubscribeOptions<undefined>,
    handler: Handler<D, R, User>,
  ): GatewayBuilder<User, AddEvent<Events, E, D, R>>
  subscribe(event: string, optionsOrHandler: SubscribeOptions | Handler<any, any, any>, maybeHandler?: Handler<any, any, any>): GatewayBuilder<User, any> {
    const options = typeof optionsOrHandler === 'function' ? {} : optionsOrHandler
    const handler = typeof optionsOrHandler === 'function' ? optionsOrHandler : maybeHandler
    const definition = handlerDefinition(event, handler as Handler, options)
    return new GatewayBuilder(this.#config, [...this.#handlers, definition], this.#onConnect, this.#onDisconnect)
  }

  /** Adds a hook run after a connection is registered. */
  onConnect(hook: LifecycleHook<User>): GatewayBuilder<User, Events> {
    assertFunction('onConnect', hook)
    return new GatewayBuilder(this.#config, this.#handlers, [...this.#onConnect, hook as LifecycleHook], this.#onDisconnect)
  }

  /** Adds a hook run when a connection closes, while it is still registered (its rooms still readable). */
  onDisconnect(hook: LifecycleHook<User>): GatewayBuilder<User, Events> {
    assertFunction('onDisconnect', hook)
    return new GatewayBuilder(this.#config, this.#handlers, this.#onConnect, [...this.#onDisconnect, hook as LifecycleHook])
  }

  /** The frozen definition the core mounts. */
  [kBuild](): GatewayDefinition {
    return buildDefinition(this.#config, this.#handlers, this.#onConnect, this.#onDisconnect)
  }
}

/** Starts a gateway definition without decorators. */
export function defineGateway<User = unknown>(config: GatewayConfig): GatewayBuilder<User> {
  buildDefinition(config, [], [], []) // validates the config now, where the mistake is
  return new GatewayBuilder<User>({ ...config })
}

/** Whether `value` can produce a definition (a builder). */
export function hasDefinition(value: unknown): value is { [kBuild](): GatewayDefinition } {
  return typeof value === 'object' && value !== null && typeof (value as Record<symbol, unknown>)[kBuild] === 'function'
}

/** The definition of a builder. */
export function definitionOf(value: { [kBuild](): GatewayDefinition }): GatewayDefinition {
  return value[kBuild]()
}

/** One handler's definition, checked. */
export function handlerDefinition(event: string, handler: Handler, options: SubscribeOptions = {}): HandlerDefinition {
  if (typeof event !== 'string' || event.length === 0) {
    throw new GatewayError('CONFIG_INVALID', `Event names must be non-empty strings, got ${JSON.stringify(event)}`)
  }
  if (isReservedEvent(event)) {
    throw new GatewayError('CONFIG_INVALID', `Event names starting with "${RESERVED_EVENT_PREFIX}" are reserved for the protocol (such as ${PING_EVENT}), got ${JSON.stringify(event)}`)
  }
  assertFunction(`handler of "${event}"`, handler)
  const { schema, guards = [] } = options
  if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function') {
    throw new GatewayError('CONFIG_INVALID', `The schema of "${event}" is not a Standard Schema (no ~standard.validate)`)
  }
  if (!Array.isArray(guards) || guards.some((g) => typeof g !== 'function')) {
    throw new GatewayError('CONFIG_INVALID', `The guards of "${event}" must be an array of functions`)
  }
  return Object.freeze({ event, handler, schema, guards: Object.freeze([...guards]) })
}

/** Checks and freezes a whole definition. */
export function buildDefinition(
  config: GatewayConfig,
  handlers: readonly HandlerDefinition[],
  onConnect: readonly LifecycleHook[],
  onDisconnect: readonly LifecycleHook[],
): GatewayDefinition {
  if (config === null || typeof config !== 'object') throw new GatewayError('CONFIG_INVALID', 'A gateway needs a config { path }')
  const path = normalizePath(config.path)
  if (!path) throw new GatewayError('CONFIG_INVALID', `Gateway path must start with "/" and be a valid URL path, got ${JSON.stringify(config.path)}`)
  const namespace = config.namespace ?? DEFAULT_NAMESPACE
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw new GatewayError('CONFIG_INVALID', `Gateway namespace must be a non-empty string, got ${JSON.stringify(namespace)}`)
  }
  const connectionEvents = config.connectionEvents ?? false
  if (typeof connectionEvents !== 'boolean') throw new GatewayError('CONFIG_INVALID', `Gateway ${path}: "connectionEvents" must be true or false`)
  const seen = new Set<string>()
  for (const { event } of handlers) {
    if (seen.has(event)) throw new GatewayError('CONFIG_INVALID', `Gateway ${path} subscribes "${event}" twice`)
    seen.add(event)
  }
  return Object.freeze({
    name: config.name ?? path,
    path,
    namespace,
    connectionGuards: Object.freeze([...(config.connectionGuards ?? [])]),
    messageGuards: Object.freeze([...(config.messageGuards ?? [])]),
    handlers: Object.freeze([...handlers]),
    onConnect: Object.freeze([...onConnect]),
    onDisconnect: Object.freeze([...onDisconnect]),
    connectionEvents,
  })
}

function assertFunction(what: string, value: unknown): void {
  if (typeof value !== 'function') throw new GatewayError('CONFIG_INVALID', `${what} must be a function`)
}
