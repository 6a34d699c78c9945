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
export { MemoryBroker } from './cluster-memory-bus.js'
export { clusterBusConformance, type BusConformanceOptions } from './cluster-conformance.js'
export { runBridgeConformance, type BridgeConformanceOptions } from './bridge-conformance.js'
export { brokerUrls, brokerSkipReason, TcpProxy } from './bridge-brokers.js'
