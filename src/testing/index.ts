/**
 * gangway/testing — test helpers: an in-memory cluster broker (several gateway
 * apps in one process form a cluster) and the conformance suite every cluster
 * bus must pass.
 *
 * @example
 * import { MemoryBroker } from 'gangway/testing'
 * import { clusterAdapter, createGateway } from 'gangway'
 *
 * const broker = new MemoryBroker()
 * const nodeA = createGateway({ gateways: [new ChatGateway()], adapter: clusterAdapter(broker.createBus()) })
 * const nodeB = createGateway({ gateways: [new ChatGateway()], adapter: clusterAdapter(broker.createBus()) })
 */
export { MemoryBroker } from './cluster-memory-bus.js'
export { clusterBusConformance, type BusConformanceOptions } from './cluster-conformance.js'
