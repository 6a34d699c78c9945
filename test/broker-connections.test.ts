import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { connect as natsConnect } from '@nats-io/transport-node'
import amqp from 'amqplib'
import { Redis } from 'ioredis'
import { createGateway, createMicroservice, defineGateway, silentLogger, type BrokerState, type ClusterAdapter, type Transport } from '../src/index.js'
import { amqpTransport } from '../src/amqp/index.js'
import { natsCluster, natsTransport } from '../src/nats/index.js'
import { redisCluster, redisTransport } from '../src/redis/index.js'
import { brokerSkipReason, brokerUrls, TcpProxy } from '../src/testing/index.js'
import { cleanUpBroker } from './helpers/bridge-transports.js'
import { eventually } from './helpers/start-gateway.js'

// Every broker factory takes a URL or the user's own client. Whatever gangway does on a client it
// was given — duplicates, subscriptions, channels — it undoes at close, and the client itself stays
// open and usable.

const prefixOf = (kind: string) => `given-${kind}-${process.pid}-${randomBytes(3).toString('hex')}`

/** A request answered through `requester` by a service on `serviceTransport`, both closed afterwards. */
async function roundTrip(t: TestContext, requester: Transport, serviceTransport: Transport, pattern: string): Promise<void> {
  const service = createMicroservice({ transport: serviceTransport, logger: silentLogger }).handle(pattern, (data: string) => `echo: ${data}`)
  await service.listen()
  t.after(() => service.close())
  assert.equal(await requester.request(pattern, 'hi', { timeoutMs: 5000 }), 'echo: hi')
}

/** A gateway on `cluster`, up and subscribed, then closed (which closes the adapter). */
async function clusterNode(cluster: ClusterAdapter): Promise<void> {
  const app = createGateway({ gateways: [defineGateway({ path: '/ws' }).subscribe('ping', () => 'pong')], adapter: cluster, logger: silentLogger })
  await app.listen(0, '127.0.0.1')
  await cluster.ready()
  assert.equal(cluster.state, 'connected')
  await app.close({ timeoutMs: 100 })
  assert.equal(cluster.state, 'closed')
}

function statesOf(transport: Transport): BrokerState[] {
  const states: BrokerState[] = []
  transport.reportBrokerStateTo((_component, state) => states.push(state))
  return states
}

test('every factory requires the connection: no URL is read from the environment', () => {
  const invalid = { code: 'CONFIG_INVALID', message: /"connection"/ }
  assert.throws(() => redisTransport(undefined as never), invalid)
  assert.throws(() => redisCluster('' as never), invalid)
  assert.throws(() => natsTransport(undefined as never), invalid)
  assert.throws(() => natsCluster([] as never), invalid)
  assert.throws(() => amqpTransport({} as never), invalid)
})

test('Redis: your ioredis client is duplicated for the transport and the cluster, and never closed', { skip: await brokerSkipReason('redis') }, async (t) => {
  const client = new Redis(brokerUrls.redis)
  t.after(() => client.disconnect())
  const prefix = prefixOf('redis')
  t.after(() => cleanUpBroker({ kind: 'redis', url: brokerUrls.redis, prefix }))
  const requester = redisTransport(client, { prefix })
  const serviceTransport = redisTransport(client, { prefix })
  await roundTrip(t, requester, serviceTransport, 'given.echo')
  await clusterNode(redisCluster(client, { channelPrefix: prefix, logger: silentLogger }))
  await requester.close()
  await serviceTransport.close()
  assert.equal(client.status, 'ready')
  assert.equal(await client.ping(), 'PONG')
})

test('NATS: your connection carries the transport and the cluster, loses their subscriptions at close, and stays open', { skip: await brokerSkipReason('nats') }, async (t) => {
  const nc = await natsConnect({ servers: brokerUrls.nats })
  t.after(() => nc.close())
  const prefix = prefixOf('nats')
  const requester = natsTransport(nc, { prefix })
  const serviceTransport = natsTransport(nc, { prefix })
  await roundTrip(t, requester, serviceTransport, 'given.echo')
  await clusterNode(natsCluster(nc, { channelPrefix: prefix, logger: silentLogger }))
  await requester.close()
  await serviceTransport.close()
  assert.equal(nc.isClosed(), false)
  await nc.flush()
  // Nothing of gangway's is left subscribed: a request to the pattern finds no responders.
  await assert.rejects(nc.request(`${prefix}.rq.given.echo`, 'x', { timeout: 2000 }), /no responders/i)
})

test('NATS: a connection you close yourself leaves the transport disconnected, answering UNAVAILABLE', { skip: await brokerSkipReason('nats') }, async () => {
  const nc = await natsConnect({ servers: brokerUrls.nats })
  const transport = natsTransport(nc, { prefix: prefixOf('nats') })
  const states = statesOf(transport)
  await transport.connect()
  await nc.close()
  await eventually(() => states.includes('disconnected'), 5000, 'the disconnected state')
  await assert.rejects(transport.request('given.gone', 1), { code: 'UNAVAILABLE' })
  await transport.close()
})

test('RabbitMQ: your ChannelModel gets gangway’s own channels, closed at the end; the connection stays open', { skip: await brokerSkipReason('amqp') }, async (t) => {
  const model = await amqp.connect(brokerUrls.amqp)
  t.after(() => model.close())
  const options = { prefix: prefixOf('amqp'), inboxExpiresMs: 10_000, requestQueueExpiresMs: 10_000 }
  const requester = amqpTransport(model, options)
  const serviceTransport = amqpTransport(model, options)
  await roundTrip(t, requester, serviceTransport, 'given.echo')
  await requester.close()
  await serviceTransport.close()
  const channel = await model.createChannel()
  await channel.close()
})

test('RabbitMQ: a connection that does not recover, closed by its owner, leaves the transport disconnected', { skip: await brokerSkipReason('amqp') }, async () => {
  const model = await amqp.connect(brokerUrls.amqp)
  const transport = amqpTransport(model, { prefix: prefixOf('amqp'), inboxExpiresMs: 10_000 })
  const states = statesOf(transport)
  await transport.connect()
  assert.deepEqual(states, ['connecting', 'connected'])
  await model.close()
  await eventually(() => states.includes('disconnected'), 5000, 'the disconnected state')
  await assert.rejects(transport.request('given.gone', 1), { code: 'UNAVAILABLE' })
  await transport.close()
})

test('RabbitMQ: on your recovering connection, gangway sets up again after each reconnect and never closes it', { skip: await brokerSkipReason('amqp') }, async (t) => {
  const target = new URL(brokerUrls.amqp)
  const proxy = await TcpProxy.start(target.hostname, Number(target.port) || 5672)
  const proxied = new URL(target)
  proxied.port = String(proxy.port)
  const recovering = await amqp.connect(proxied.toString(), { recovery: { initialDelay: 50, maxDelay: 200 } })
  t.after(async () => {
    // The connection first: amqplib's close waits for the broker's close-ok, which a closed proxy never passes on.
    await recovering.close()
    await proxy.close()
  })
  const options = { prefix: prefixOf('amqp'), inboxExpiresMs: 10_000, requestQueueExpiresMs: 10_000 }
  const requester = amqpTransport(recovering, options)
  const serviceTransport = amqpTransport(brokerUrls.amqp, options)
  t.after(() => serviceTransport.close())
  const states = statesOf(requester)
  await roundTrip(t, requester, serviceTransport, 'given.echo')

  proxy.cut()
  await eventually(() => states.includes('reconnecting'), 5000, 'the reconnecting state')
  await eventually(() => states.at(-1) === 'connected', 10_000, 'connected again')
  // The reply inbox's consumer was declared again on the new connection.
  assert.equal(await requester.request('given.echo', 'again', { timeoutMs: 5000 }), 'echo: again')

  await requester.close()
  const channel = await recovering.createChannel()
  await channel.close()
})
