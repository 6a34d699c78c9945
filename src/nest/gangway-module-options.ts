import type { GatewayAppOptions } from '../index.js'

/** A class constructor, as Nest providers are registered. */
export type GatewayClass = abstract new (...args: never[]) => object

/**
 * Options of `GangwayModule.forRoot()`: every `createGateway` option except
 * `gateways`, which Nest's container supplies.
 */
export interface GangwayModuleOptions extends Omit<GatewayAppOptions, 'gateways'> {
  /**
   * A pino-compatible logger (pass your pino instance), or `nestLogger(...)`.
   * @default Nest's `Logger` with context 'gangway', at `GANGWAY_LOG_LEVEL` or 'warn'
   */
  logger?: GatewayAppOptions['logger']
  /**
   * The gateway classes to mount. Each must be registered as a provider in
   * some module (gangway takes the instance Nest built; it never builds one).
   * @default every provider whose class is decorated with `@Gateway`, or that is a `defineGateway()` builder
   */
  gateways?: readonly GatewayClass[]
  /**
   * Listen on this port with an HTTP server of gangway's own, as
   * `@WebSocketGateway(port)` does. Needed in a Nest app without an HTTP
   * server (`createMicroservice`, `createApplicationContext`).
   * @default mount on the Nest application's HTTP server (Express or Fastify)
   */
  port?: number
  /** The interface `port` binds to. @default all interfaces */
  host?: string
}

/** What `forRootAsync` takes: a factory Nest calls with `inject`ed providers. */
export interface GangwayModuleAsyncOptions {
  /** Modules whose exported providers the factory injects. @default [] */
  imports?: readonly unknown[]
  /** Providers passed to `useFactory`, in order. @default [] */
  inject?: readonly unknown[]
  /** Builds the options (may be async). */
  useFactory: (...args: any[]) => GangwayModuleOptions | Promise<GangwayModuleOptions>
}

/** The injection token of the module's options. */
export const GANGWAY_OPTIONS = Symbol.for('gangway.nest.options')
