import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { createMicroservice, WsError, type Microservice, type PushRecord, type Transport } from '../internal.js'

/** What the conformance suite needs to test a bridge transport. */
export interface BridgeTransportConformanceOptions {
  /**
   * Creates a new transport (its own broker connection) each time it is
   * called. Configure it so that a message left unacknowledged by a closed
   * transport is redelivered within a few seconds (Redis `claimIdleMs`,
   * JetStream `ackWaitMs`).
   */
  create: () => Transport | Promise<Transport>
  /** Skips the whole suite with this reason (say, the broker is not running). */
  skip?: string
  /** Runs once after the suite: remove what it left on a shared broker (keys, streams). */
  cleanUp?: () => Promise<void>
}

/**
 * Registers the tests every bridge transport must pass (node:test). The same
 * suite runs against the in-process transport, RabbitMQ, NATS and Redis; run
 * it against a transport of your own the same way.
 *
 * @example
 * import { bridgeTransportConformance } from 'gangway-ws/testing'
 * bridgeTransportConformance('my broker', { create: () => myTransport(url) })
 */
export function bridgeTransportConformance(name: string, options: BridgeTransportConformanceOptions): void {
  const { create } = options
  describe(`bridge transport conformance: ${name}`, { skip: options.skip }, () => {
    if (options.cleanUp) after(options.cleanUp)
    const unique = (name: string) => `conf.${name}.${randomBytes(4).toString('hex')}`

    async function pair(t: { after(fn: () => Promise<void>): void }) {
      const requester = await create()
      const serviceTransport = await create()
      const services: Microservice[] = []
      t.after(async () => {
        for (const service of services) await service.close()
        await requester.close()
        await serviceTransport.close()
      })
      const service = (transport = serviceTransport) => {
        const created = createMicroservice({ transport, prefetch: 16 })
        services.push(created)
        return created
      }
      return { requester, serviceTransport, service }
    }

    test('a request gets the reply, and the service sees data and metadata', async (t) => {
      const { requester, service } = await pair(t)
      const pattern = unique('echo')
      let seen: { meta: unknown; redelivered: boolean; pattern: string } | undefined
      await service()
        .handle(pattern, (data, ctx) => {
          seen = { meta: ctx.meta, redelivered: ctx.redelivered, pattern: ctx.pattern }
          return { echoed: data }
        })
        .listen()
      const reply = await requester.request(pattern, { n: 1, text: 'héllo' }, { meta: { traceId: 'abc', connectionId: 'node1-1' } })
      assert.deepEqual(reply, { echoed: { n: 1, text: 'héllo' } })
      assert.deepEqual(seen, { meta: { traceId: 'abc', connectionId: 'node1-1' }, redelivered: false, pattern })
      assert.equal(requester.pending, 0)
    })

    test('a WsError from the service arrives as is; any other error as INTERNAL', async (t) => {
      const { requester, service } = await pair(t)
      const pattern = unique('errors')
      await service()
        .handle(pattern, (data: string) => {
          if (data === 'wire') throw new WsError('OUT_OF_STOCK', 'No more tickets')
          throw new Error('secret detail')
        })
        .listen()
      await assert.rejects(requester.request(pattern, 'wire'), (err: WsError) => err.code === 'OUT_OF_STOCK' && err.message === 'No more tickets')
      await assert.rejects(requester.request(pattern, 'crash'), (err: WsError) => err.code === 'INTERNAL' && !err.message.includes('secret'))
    })

    test('no reply in time: TIMEOUT once, and the late reply is discarded and counted', async (t) => {
      const { requester, service } = await pair(t)
      const pattern = unique('slow')
      let running = false
      let answer!: () => void
      const released = new Promise<void>((resolve) => (answer = resolve))
      await service()
        .handle(pattern, async () => {
          running = true
          await released // answers only after the requester gave up
          return 'late'
        })
        .listen()
      // Long enough for the request to reach the service on a busy machine (an expired one is dropped unrun).
      await assert.rejects(requester.request(pattern, 1, { timeoutMs: 3000 }), (err: WsError) => err.code === 'TIMEOUT')
      assert.ok(running, 'the service was running the request when it timed out')
      answer()
      await waitFor(() => requester.stats.lateReplies === 1, 5000, 'the late reply')
      assert.equal(requester.pending, 0)
      assert.equal(requester.stats.timeouts, 1)
    })

    test('emit delivers once, with no reply; events from different senders are never taken for duplicates', async (t) => {
      const { requester, service } = await pair(t)
      const other = await create()
      t.after(() => other.close())
      const pattern = unique('event')
      const got: unknown[] = []
      await service()
        .handle(pattern, (data) => void got.push(data))
        .listen()
      await requester.emit(pattern, { a: 1 })
      await other.emit(pattern, { b: 2 })
      await waitFor(() => got.length === 2, 3000, 'the events')
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.deepEqual(got.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [{ a: 1 }, { b: 2 }])
    })

    test('two instances share a pattern: 300 concurrent requests are each answered exactly once', async (t) => {
      const { requester, serviceTransport, service } = await pair(t)
      const other = await create()
      t.after(() => other.close())
      const pattern = unique('shared')
      const handledBy: string[] = []
      await service(serviceTransport).handle(pattern, (n: number) => (handledBy.push('a'), n * 2)).listen()
      await service(other).handle(pattern, (n: number) => (handledBy.push('b'), n * 2)).listen()
      const replies = await Promise.all(Array.from({ length: 300 }, (_, i) => requester.request(pattern, i)))
      assert.deepEqual(replies, Array.from({ length: 300 }, (_, i) => i * 2))
      assert.equal(handledBy.length, 300)
      assert.equal(requester.stats.lateReplies, 0)
    })

    test('pushes reach the node inbox before the reply they precede, and broadcasts reach every node', async (t) => {
      const { requester, service } = await pair(t)
      const pattern = unique('push')
      const node = `n${randomBytes(3).toString('hex')}`
      const received: PushRecord[] = []
      await requester.attachNode(node, (record) => received.push(record))
      await requester.openBroadcast()
      const svc = service()
      await svc
        .handle(pattern, (data, ctx) => {
          ctx.push('progress', { step: 1 })
          return data
        })
        .listen()
      const reply = await requester.request(pattern, 'done', { meta: { connectionId: `${node}-1`, nodeId: node, namespace: '/chat' } })
      assert.equal(reply, 'done')
      assert.equal(received.length, 1, 'the progress push arrived before the reply')
      assert.deepEqual({ n: received[0]!.n, e: received[0]!.e, d: received[0]!.d, c: received[0]!.g.connections }, { n: '/chat', e: 'progress', d: { step: 1 }, c: [`${node}-1`] })
      svc.server('/chat').to('lobby').emit('news', 42)
      await waitFor(() => received.length === 2, 3000, 'the broadcast')
      assert.deepEqual(received[1]!.g.rooms, ['lobby'])
    })

    test('a closed transport answers UNAVAILABLE at once', async (t) => {
      const { requester } = await pair(t)
      await requester.close()
      await assert.rejects(requester.request(unique('closed'), 1), (err: WsError) => err.code === 'UNAVAILABLE')
    })

    test('a message whose instance stops mid-handler: at-least-once redelivers it and it is answered; at-most-once fails it once with TIMEOUT', async (t) => {
      const { requester, service } = await pair(t)
      const atMostOnce = requester.link.guarantee === 'at-most-once'
      const pattern = unique('redeliver')
      const dying = await create()
      let started!: () => void
      const firstStarted = new Promise<void>((resolve) => (started = resolve))
      await createMicroservice({ transport: dying, prefetch: 1 })
        .handle(pattern, () => {
          started()
          return new Promise(() => {}) // never finishes: its instance goes away first
        })
        .listen()
      const answer = requester.request(pattern, 'work', { timeoutMs: atMostOnce ? 1500 : 15_000 })
      await firstStarted
      await dying.close()
      let redelivered: boolean | undefined
      let handled = 0
      await service()
        .handle(pattern, (data, ctx) => {
          handled++
          redelivered = ctx.redelivered
          return `done: ${data}`
        })
        .listen()
      if (atMostOnce) {
        // The documented guarantee: one outcome, never a hang, and no second delivery.
        await assert.rejects(answer, (err: WsError) => err.code === 'TIMEOUT')
        assert.equal(handled, 0, 'an at-most-once transport does not redeliver')
        return
      }
      assert.equal(await answer, 'done: work')
      assert.equal(redelivered, true)
    })
  })
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
