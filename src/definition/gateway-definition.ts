import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { AnyMessageGuard, ConnectionGuard, MessageGuard } from '../contracts/guards.js'
import type { Handler, LifecycleHook } from '../contracts/handler.js'

/** One subscribed event. */
export interface HandlerDefinition {
  readonly event: string
  readonly handler: Handler
  /** Validates `data` before the handler runs; its output is what the handler receives. */
  readonly schema: StandardSchemaV1 | undefined
  /** Per-handler message guards, run after the global and gateway ones. */
  readonly guards: readonly MessageGuard[]
}

/** Where and how a gateway mounts. */
export interface GatewayConfig {
  /** The path clients upgrade on, e.g. `/chat`. */
  path: string
  /** The registry the gateway's connections live in; gateways in different namespaces share nothing. @default '/' */
  namespace?: string
  /** Guards run on the upgrade request; see `ConnectionGuard`. @default [] */
  connectionGuards?: readonly ConnectionGuard[]
  /** Per-message guards for every handler of this gateway. @default [] */
  messageGuards?: readonly AnyMessageGuard[]
  /** A name for logs and generated documents. @default the class name, or the path */
  name?: string
  /**
   * Publish this gateway's connection lifecycle (connected, disconnected with
   * close code and reason, joined / left a room) to services over the app's
   * transport, on the pattern `gangway.connection`: see
   * `Microservice.onConnectionEvent`. Off the message path: published after the
   * fact, never awaited by a handler. @default false
   */
  connectionEvents?: boolean
}

/** A gateway as the core mounts it, whether it came from decorators or the builder. Frozen. */
export interface GatewayDefinition {
  readonly name: string
  readonly path: string
  readonly namespace: string
  readonly connectionGuards: readonly ConnectionGuard[]
  readonly messageGuards: readonly MessageGuard[]
  readonly handlers: readonly HandlerDefinition[]
  readonly onConnect: readonly LifecycleHook[]
  readonly onDisconnect: readonly LifecycleHook[]
  /** Whether the gateway publishes connection events to services. */
  readonly connectionEvents: boolean
}

/** The default namespace, shared by every gateway that names none. */
export const DEFAULT_NAMESPACE = '/'

/** Anything `createGateway({ gateways })` accepts: a `@Gateway` instance, a builder, or a definition. */
export type GatewayLike = object

const PATH_PATTERN = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/

/** Normalizes a mount path: must start with `/`; a trailing `/` is dropped (except for `/`). */
export function normalizePath(path: string): string {
  if (typeof path !== 'string' || !PATH_PATTERN.test(path)) return ''
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
