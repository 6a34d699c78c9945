import { inProcessTransport } from '../src/index.js'
import { InProcessBus } from '../src/internal.js'
import { cleanUpBroker } from './helpers/bridge-transports.js'
import { amqpTransport } from '../src/amqp/index.js'
import { natsTransport } from '../src/nats/index.js'
import { redisTransport } from '../src/redis/index.js'
import { brokerSkipReason, brokerUrls, runBridgeConformance } from '../src/testing/index.js'

// One suite, every transport. Each run uses its own prefix so runs never share queues.
const run = `t${process.pid}`

const bus = new InProcessBus()
runBridgeConformance({ name: 'in-process', create: () => inProcessTransport({ bus }) })

runBridgeConformance({
  name: 'amqp (RabbitMQ)',
  skip: await brokerSkipReason('amqp'),
  create: () => amqpTransport({ url: brokerUrls.amqp, prefix: `gangway-${run}`, inboxExpiresMs: 10_000, requestQueueExpiresMs: 30_000 }),
})

runBridgeConformance({
  name: 'nats (core, queue groups)',
  skip: await brokerSkipReason('nats'),
  create: () => natsTransport({ servers: brokerUrls.nats, prefix: `gangway-${run}` }),
})

runBridgeConformance({
  name: 'nats (JetStream)',
  skip: await brokerSkipReason('nats'),
  create: () => natsTransport({ servers: brokerUrls.nats, prefix: `gangway-js-${run}`, jetstream: { ackWaitMs: 1000, storage: 'memory', stream: `GANGWAY_CONF_${run}_RQ`.toUpperCase() } }),
  cleanUp: () => cleanUpBroker({ kind: 'nats-js', url: brokerUrls.nats, prefix: `GANGWAY_CONF_${run}` }),
})

runBridgeConformance({
  name: 'redis (streams)',
  skip: await brokerSkipReason('redis'),
  create: () => redisTransport({ url: brokerUrls.redis, prefix: `gangway-${run}`, claimIdleMs: 500, claimIntervalMs: 250 }),
  cleanUp: () => cleanUpBroker({ kind: 'redis', url: brokerUrls.redis, prefix: `gangway-${run}` }),
})
