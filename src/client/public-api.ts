// What both entries of gangway-ws/client export besides `createClient` (index.ts for Node, browser.ts for bundlers).
export type { ClientStatus, ErrorContext, GatewayClient, JoinRoomOptions, RequestOptions, StatusChange } from './gateway-client.js'
export type { PresenceChange } from './presence-book.js'
export type { RecoveryEvent } from './history-book.js'
export type { PresenceConnection, PresenceMember, HistoryPosition, RecoveryFailure } from '../index.js'
export type {
  ContractLike,
  ContractOf,
  EmitArgs,
  EventName,
  EventsOf,
  GatewayContract,
  HandlerContract,
  PushData,
  PushesOf,
  PushMap,
  PushName,
  ReplyOf,
  RequestArgs,
  RequestData,
  WithPushes,
} from './contract.js'
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_QUEUED,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_CLIENT_HEARTBEAT,
  DEFAULT_ROOM_PROTOCOL,
  type ClientHeartbeatOptions,
  type ClientOptions,
  type ResolvedClientOptions,
  type RoomProtocol,
} from './client-options.js'
export { backoffDelay, DEFAULT_RECONNECT, isReconnectableClose, type ReconnectOptions, type ResolvedReconnectOptions } from './reconnect-policy.js'
export type { ClientUrl, WebSocketConstructor, WebSocketLike } from './websocket-like.js'
// The same class the server throws, so code on both sides of the wire branches on one `code`.
export { GatewayError } from '../errors/gateway-error.js'
export type { GatewayErrorCode, WireErrorCode } from '../errors/error-codes.js'
