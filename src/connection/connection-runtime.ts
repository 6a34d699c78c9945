import type { GatewayDefinition } from '../definition/gateway-definition.js'
import type { Dispatcher } from '../dispatch/dispatcher.js'
import type { RouteTable } from '../dispatch/route-table.js'
import type { Logger } from '../logging/logger.js'
import type { ResolvedOptions } from '../options/gateway-options.js'
import type { NamespaceRegistry } from '../registry/namespace-registry.js'
import type { Connection } from './connection.js'

/** What a connection needs from the gateway it belongs to. One per mounted gateway. */
export interface ConnectionRuntime {
  readonly options: ResolvedOptions
  readonly logger: Logger
  readonly definition: GatewayDefinition
  readonly routes: RouteTable
  readonly registry: NamespaceRegistry<Connection>
  readonly dispatcher: Dispatcher
  /** Whether dispatch runs inside AsyncLocalStorage. */
  readonly ambient: boolean
  /** True once the app is shutting down: new frames are answered UNAVAILABLE. */
  readonly draining: boolean
  opened(connection: Connection): void
  closedConnection(connection: Connection): void
}
