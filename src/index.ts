/**
 * gangway — realtime WebSocket gateways for Node.js.
 *
 * @example
 * import { createGateway, Gateway, Subscribe } from 'gangway-ws'
 *
 * @Gateway({ path: '/ws' })
 * class EchoGateway {
 *   @Subscribe('echo') echo(data: unknown) { return data }
 * }
 *
 * await createGateway({ gateways: [new EchoGateway()] }).listen(3000)
 */
// The app: create, mount, close.
export { createGateway, toDefinition } from './app/create-gateway.js'
export { GatewayApp, type CloseOptions } from './app/gateway-app.js'
export {
  resolveOptions,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type GatewayAppOptions,
  type ResolvedOptions,
} from './options/gateway-options.js'

// What handlers, hooks and guards see.
export type { Client, Server, BroadcastOperator, ClusterAnswer, ClusterQueryOptions, DisconnectOptions, JoinOptions } from './contracts/client-server.js'
export type { PresenceConnection, PresenceFrameData, PresenceMember } from './contracts/presence.js'

// Message history and recovery.
export type {
  HistoryAppend,
  HistoryMessage,
  HistoryPage,
  HistoryPosition,
  HistoryQuery,
  HistoryRange,
  HistoryReadRequest,
  HistoryStore,
  HistoryStoreEvents,
  LiveEntry,
  RecoveryFailure,
  RecoveryReport,
  RoomHistoryConfig,
  SinceRequest,
  StoredEntry,
} from './contracts/history.js'
export {
  DEFAULT_HISTORY_OPTIONS,
  DEFAULT_ROOM_HISTORY,
  resolveHistoryOptions,
  type HistoryOptions,
  type HistoryRoomRule,
  type ResolvedHistoryOptions,
} from './history/history-options.js'
export type { HistoryStats } from './history/history-stats.js'
export { MemoryHistoryStore } from './history/memory-history-store.js'
export { newEpoch } from './history/new-epoch.js'
export type { HandshakeContext } from './contracts/handshake.js'
export type { AnyMessageGuard, ConnectionGuard, MessageGuard, MessageGuardContext } from './contracts/guards.js'
export type { FrameInfo, Handler, LifecycleHook } from './contracts/handler.js'

// Gateways: the builder and the decorators.
export { defineGateway, GatewayBuilder, type EventMap, type SubscribeOptions } from './definition/define-gateway.js'
export {
  DEFAULT_NAMESPACE,
  type GatewayConfig,
  type GatewayDefinition,
  type GatewayLike,
  type HandlerDefinition,
} from './definition/gateway-definition.js'
export { Gateway, type DualClassDecorator } from './decorators/gateway.js'
export { Subscribe, type DualMemberDecorator } from './decorators/subscribe.js'
export { OnConnect, OnDisconnect } from './decorators/lifecycle.js'
export { UseGuards, type DualGuardDecorator } from './decorators/use-guards.js'
export { exploreGateway } from './decorators/explore-gateway.js'
export { currentClient, currentContext } from './dispatch/ambient-context.js'

// The upgrade: origins, credentials, limits on handshakes.
export { type OriginPolicy } from './upgrade/origin-policy.js'
export { DEFAULT_HANDSHAKE_RATE_LIMIT, type HandshakeRateLimitOptions } from './upgrade/handshake-rate-limiter.js'
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  type UpgradeOptions,
} from './upgrade/upgrade-options.js'
export { bearerToken, type BearerTokenSources } from './upgrade/bearer-token.js'
export {
  jwtExpiry,
  DEFAULT_SESSION_EXPIRY,
  SESSION_EXPIRED_CLOSE_CODE,
  type ExpiryPolicy,
  type SessionExpiryOptions,
} from './upgrade/session-expiry.js'

// Connections and the wire protocol.
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_HEARTBEAT,
  DEFAULT_OUTBOX,
  DEFAULT_RATE_LIMIT,
  type ConnectionOptions,
  type HeartbeatOptions,
  type OutboxOptions,
  type OverflowPolicy,
  type RateLimitOptions,
} from './connection/connection-options.js'
export { DEFAULT_LIMITS, DEFAULT_MAX_PAYLOAD, type LimitOptions } from './protocol/limit-options.js'
export type { Envelope, RequestId } from './protocol/envelope.js'
export { PROTOCOL, type HelloData } from './protocol/hello.js'
export { CANCEL_EVENT, PING_EVENT, PRESENCE_EVENT, RECOVERY_EVENT, RESERVED_EVENT_PREFIX } from './protocol/control-events.js'
export type { TextFrame } from './protocol/text-frame.js'

// Errors.
export { GatewayError, WsError, isWireSafe, type GatewayErrorOptions } from './errors/gateway-error.js'
export { ERROR_CODES, type ErrorCodeInfo, type GatewayErrorCode, type WireErrorCode } from './errors/error-codes.js'

// Rooms across nodes: the adapter interface and the cluster protocol over a bus.
export {
  inMemoryAdapter,
  type Adapter,
  type BroadcastTarget,
  type ClusterQuery,
  type LocalNamespace,
  type NamespaceAdapter,
  type QueryValue,
} from './registry/namespace-adapter.js'
export type { LocalPresence, NamespacePresenceAdapter } from './registry/presence-adapter.js'
export { MAX_PRESENCE_META_BYTES, type PresenceEntry } from './registry/presence-entry.js'
export { ClusterAdapter, clusterAdapter, type ClusterAdapterEvents, type ClusterLossKind, type ClusterState, type ClusterStats } from './cluster/cluster-adapter.js'
export type { ClusterBus, ClusterBusEvents } from './cluster/cluster-bus.js'
export { DEFAULT_CLUSTER_OPTIONS, resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from './cluster/cluster-options.js'

// The microservice bridge.
export { forward, type ForwardOptions } from './bridge/forward.js'
export { patternRoute, type MessagePattern } from './bridge/message-pattern.js'
export { nestRoute } from './bridge/nest-route.js'
export type { WireOptions } from './bridge/nest-link.js'
export {
  CONNECTION_EVENTS_PATTERN,
  type ConnectionEvent,
  type ConnectionEventStats,
  type ConnectionEventSubject,
} from './bridge/connection-events.js'
export {
  Transport,
  DEFAULT_MAX_PENDING,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type CancellableRequest,
  type RequestOptions,
  type TransportOptions,
  type TransportStats,
} from './bridge/transport.js'
export type { CancelReason, ForwardMeta } from './bridge/bridge-records.js'
export { inProcessTransport, type InProcessTransportOptions } from './bridge/in-process-transport.js'
export {
  createMicroservice,
  Microservice,
  DEFAULT_PREFETCH,
  type MicroserviceOptions,
  type MicroserviceStats,
  type ServiceHandler,
} from './bridge/microservice.js'
export type { ServiceContext } from './bridge/service-context.js'
export { nodeOfConnection, type RemotePushOperator } from './bridge/remote-push.js'

// Operations: logs, metrics hooks, broker state, health.
export { createConsoleLogger, silentLogger, type Logger, type LogLevel } from './logging/logger.js'
export { combineObservers, type GatewayObserver } from './observability/gateway-observer.js'
export {
  BROKER_STATES,
  type BrokerState,
  type BrokerStateListener,
  type MessageLossListener,
  type ReportsBrokerState,
  type ReportsMessageLoss,
} from './broker/broker-state.js'
export { healthHandler, healthReport, type HealthOptions, type HealthReport, type HealthSource } from './observability/health.js'

// AsyncAPI.
export {
  asyncApiDocument,
  type AsyncApiDocument,
  type AsyncApiOptions,
  type AsyncApiServer,
  type EventDocs,
  type GatewayDocs,
  type PushDocs,
} from './asyncapi/asyncapi-document.js'
export type { AsyncApiSource } from './asyncapi/gateway-definitions.js'
export { jsonSchemaOf, type JsonSchema, type JsonSchemaConverter, type SchemaLike } from './asyncapi/json-schema-of.js'
