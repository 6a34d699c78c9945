/**
 * gangway-ws/testing — test tooling for gangway apps and broker integrations: an
 * in-memory cluster broker (several gateway apps in one process form a
 * cluster), the conformance suites every cluster bus and every bridge
 * transport must pass, and a TCP proxy to cut a broker connection on demand.
 *
 * @example
 * import { MemoryBroker } from 'gangway-ws/testing'
 * import { clusterAdapter, createGateway } from 'gangway-ws'
 *
 * const broker = new MemoryBroker()
 * const nodeA = createGateway({ gateways: [new ChatGateway()], adapter: clusterAdapter(broker.createBus()) })
 * const nodeB = createGateway({ gateways: [new ChatGateway()], adapter: clusterAdapter(broker.createBus()) })
 */
export { MemoryBroker } from './memory-broker.js'
export { clusterBusConformance, type ClusterBusConformanceOptions } from './cluster-bus-conformance.js'
export { bridgeTransportConformance, type BridgeTransportConformanceOptions } from './bridge-transport-conformance.js'
export { brokerUrls, brokerSkipReason, TcpProxy } from './bridge-brokers.js'
