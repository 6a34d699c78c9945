/**
 * The plumbing gangway's subpaths (`gangway-ws/redis`, `/nats`, `/amqp`, `/testing`, …) share
 * with core, on top of everything the public entry exports. Not in the package's exports map:
 * applications import `gangway-ws` and its subpaths, never this module, and anything here may
 * change in any release.
 *
 * @internal
 * @packageDocumentation
 */
export * from './index.js'

export type { BrokerLink, ConsumeOptions, Delivery, RequestInfo } from './bridge/broker-link.js'
export type { BridgeRecord, CancelRecord, ErrorRecord, PushRecord, ReplyRecord, RequestRecord } from './bridge/bridge-records.js'
export { NestLink, NEST_REPLY_INBOX, deadlineOf, linkForWire } from './bridge/nest-link.js'
export type { NestIncoming, NestOutgoing, NestWire, NestWireReplies } from './bridge/nest-wire.js'
export { defaultInProcessBroker, InProcessBroker } from './bridge/in-process-transport.js'
export type { PushSink } from './bridge/transport.js'
export { definitionOfAny } from './asyncapi/gateway-definitions.js'
export { reportsBrokerState, reportsMessageLoss } from './broker/broker-state.js'
export { BrokerStateTracker, type BrokerStateWatcher } from './broker/broker-state-tracker.js'
export { reconnectDelay, type ReconnectBackoff } from './broker/reconnect-backoff.js'
export { settleWithin } from './broker/settle-within.js'
export { onReconnected } from './broker/on-reconnected.js'
export { encodeTextFrameFromBytes, textFramePayload } from './protocol/text-frame.js'
export { escapeToken } from './cluster/cluster-channels.js'
export {
  checkBoolean,
  checkNonNegativeInteger,
  checkOneOf,
  checkOptionsObject,
  checkPositiveInteger,
  checkPositiveNumber,
  checkPrefix,
  invalidOption,
  withDefaults,
  withoutUndefined,
} from './errors/option-checks.js'
