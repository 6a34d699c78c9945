import { after, before } from 'node:test'
import { clusterBusConformance, MemoryBroker } from '../src/testing/index.js'
import { Redis } from 'ioredis'
import { RedisBus } from '../src/redis/index.js'
import { NatsBus } from '../src/nats/index.js'
import { startPrivateNats, startPrivateRedis, type PrivateBroker } from './helpers/cluster-brokers.js'

// The same suite against every bus. Redis and NATS run on private broker
// processes, so the outage test can kill and restart them.

const memory = new MemoryBroker()
clusterBusConformance('memory', {
  createBus: () => memory.createBus(),
  interrupt: async () => {
    memory.stop()
    return async () => memory.start()
  },
})

let redis: PrivateBroker
let nats: PrivateBroker
const teardown: Array<() => Promise<void>> = []
before(async () => {
  ;[redis, nats] = await Promise.all([startPrivateRedis((fn) => teardown.push(fn)), startPrivateNats((fn) => teardown.push(fn))])
})
after(async () => {
  await Promise.all(teardown.map((fn) => fn()))
})

clusterBusConformance('redis', {
  createBus: () => new RedisBus(redis.url),
  interrupt: async () => {
    await redis.kill()
    return () => redis.restart()
  },
})

// A client the user already configured: gangway duplicates it (this one never even connects).
clusterBusConformance('redis, from your own ioredis client', {
  createBus: () => new RedisBus(new Redis(redis.url, { lazyConnect: true })),
  interrupt: async () => {
    await redis.kill()
    return () => redis.restart()
  },
})

clusterBusConformance('nats', {
  createBus: () => new NatsBus(nats.url, { reconnectTimeWaitMs: 100 }),
  interrupt: async () => {
    await nats.kill()
    return () => nats.restart()
  },
})

// Compile-time: the clients users already have fit the structural types gangway accepts.
export const acceptsIoredis: (client: import('ioredis').Redis) => import('../src/redis/index.js').RedisClientLike = (client) => client
export const acceptsNatsConnection: (nc: import('@nats-io/transport-node').NatsConnection) => import('../src/nats/index.js').NatsConnectionLike = (nc) => nc
