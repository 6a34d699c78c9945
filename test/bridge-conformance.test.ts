import { inProcessTransport } from '../src/index.js'
import { InProcessBroker } from '../src/internal.js'
import { cleanUpBroker } from './helpers/bridge-transports.js'
import { amqpTransport } from '../src/amqp/index.js'
import { natsTransport } from '../src/nats/index.js'
import { redisTransport } from '../src/redis/index.js'
import { brokerSkipReason, brokerUrls, bridgeTransportConformance } from '../src/testing/index.js'

// One suite, every transport. Each run uses its own prefix so runs never share queues.
const run = `t${process.pid}`

const broker = new InProcessBroker()
bridgeTransportConformance('in-process', { create: () => inProcessTransport({ broker }) })

bridgeTransportConformance('amqp (RabbitMQ)', {
  skip: await brokerSkipReason('amqp'),
  create: () => amqpTransport(brokerUrls.amqp, { prefix: `gangway-${run}`, inboxExpiresMs: 10_000, requestQueueExpiresMs: 30_000 }),
})

bridgeTransportConformance('nats (core, queue groups)', {
  skip: await brokerSkipReason('nats'),
  create: () => natsTransport(brokerUrls.nats, { prefix: `gangway-${run}` }),
})

bridgeTransportConformance('nats (JetStream)', {
  skip: await brokerSkipReason('nats'),
  create: () => natsTransport(brokerUrls.nats, { prefix: `gangway-js-${run}`, jetstream: { ackWaitMs: 1000, storage: 'memory', stream: `GANGWAY_CONF_${run}_RQ`.toUpperCase() } }),
  cleanUp: () => cleanUpBroker({ kind: 'nats-js', url: brokerUrls.nats, prefix: `GANGWAY_CONF_${run}` }),
})

bridgeTransportConformance('redis (streams)', {
  skip: await brokerSkipReason('redis'),
  create: () => redisTransport(brokerUrls.redis, { prefix: `gangway-${run}`, claimIdleMs: 500, claimIntervalMs: 250 }),
  cleanUp: () => cleanUpBroker({ kind: 'redis', url: brokerUrls.redis, prefix: `gangway-${run}` }),
})
