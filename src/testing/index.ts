/**
 * `gangway/testing` — test tooling for gangway apps and broker integrations.
 *
 * @example
 * import { runBridgeConformance } from 'gangway/testing'
 * import { amqpTransport } from 'gangway/amqp'
 * runBridgeConformance({ name: 'amqp', create: () => amqpTransport() })
 */
export { runBridgeConformance, type BridgeConformanceOptions } from './bridge-conformance.js'
export { brokerUrls, brokerSkipReason, TcpProxy } from './bridge-brokers.js'
