import assert from 'node:assert/strict'
import { test } from 'node:test'
import amqp from 'amqplib'
import { createMicroservice } from '../src/index.js'
import { amqpTransport } from '../src/amqp/index.js'
import { brokerSkipReason, brokerUrls, TcpProxy } from '../src/testing/index.js'
import { sleep } from './helpers/start-gateway.js'

test('RabbitMQ: a node that dies leaves no reply queue behind (x-expires)', { skip: await brokerSkipReason('amqp') }, async (t) => {
  const target = new URL(brokerUrls.amqp)
  const proxy = await TcpProxy.start(target.hostname, Number(target.port) || 5672)
  t.after(() => proxy.close())
  target.port = String(proxy.port)
  const prefix = `orphan-${process.pid}`
  const node = amqpTransport(target.toString(), { prefix, id: 'deadnode', inboxExpiresMs: 1500, requestQueueExpiresMs: 5000 })
  t.after(() => node.close())
  const service = createMicroservice({ transport: amqpTransport(brokerUrls.amqp, { prefix, requestQueueExpiresMs: 5000 }) }).handle('o.echo', (d) => d)
  await service.listen()
  t.after(async () => {
    await service.close()
    await service.transport.close()
  })
  assert.equal(await node.request('o.echo', 'hi'), 'hi')

  const admin = await amqp.connect(brokerUrls.amqp)
  t.after(() => admin.close())
  const exists = async (queue: string) => {
    const channel = await admin.createChannel()
    channel.on('error', () => {})
    try {
      await channel.checkQueue(queue)
      await channel.close()
      return true
    } catch {
      return false
    }
  }
  assert.equal(await exists(`${prefix}.inbox.deadnode`), true)
  // The node "dies": its connection drops and never comes back (no chance to delete its queue).
  proxy.refuse()
  proxy.cut()
  // Look rarely: a passive declare counts as a use and renews the queue's lease.
  const deadline = Date.now() + 20_000
  do {
    assert.ok(Date.now() < deadline, 'the dead node’s inbox queue expired')
    await sleep(3000)
  } while (await exists(`${prefix}.inbox.deadnode`))
})
