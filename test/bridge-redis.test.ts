import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { createMicroservice } from '../src/index.js'
import { redisTransport } from '../src/redis/index.js'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'
import { cleanUpBroker } from './helpers/bridge-transports.js'

test('Redis: consumers of workers long gone are removed from the group; live ones stay', { skip: await brokerSkipReason('redis') }, async (t) => {
  const prefix = `ghost-${process.pid}`
  t.after(() => cleanUpBroker({ kind: 'redis', url: brokerUrls.redis, prefix }))
  const admin = new Redis(brokerUrls.redis)
  t.after(() => admin.disconnect())
  const stream = `${prefix}:rq:g.echo`
  await admin.xgroup('CREATE', stream, 'gangway', '0', 'MKSTREAM')
  await admin.xgroup('CREATECONSUMER', stream, 'gangway', 'ghost')
  await new Promise((resolve) => setTimeout(resolve, 600)) // the ghost idles past 10 × claimIdleMs
  const transport = redisTransport(brokerUrls.redis, { prefix, claimIdleMs: 50, claimIntervalMs: 20 })
  const service = createMicroservice({ transport }).handle('g.echo', (d) => d)
  await service.listen()
  t.after(async () => {
    await service.close()
    await transport.close()
  })
  const names = async () => ((await admin.xinfo('CONSUMERS', stream, 'gangway')) as Array<Array<string | number>>).map((f) => String(f[1]))
  const deadline = Date.now() + 5000
  while ((await names()).includes('ghost')) {
    assert.ok(Date.now() < deadline, 'the ghost consumer was removed')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // The live worker (which has consumed) is never removed.
  const requester = redisTransport(brokerUrls.redis, { prefix })
  t.after(() => requester.close())
  assert.equal(await requester.request('g.echo', 'still here'), 'still here')
  await new Promise((resolve) => setTimeout(resolve, 1500))
  assert.equal((await names()).length, 1, 'the live worker stays')
})
