import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { brokerSkipReason, brokerUrls } from '../src/testing/index.js'
import { startGatewayNode, startWorker } from './helpers/bridge-processes.js'
import { cleanUpBroker, type TransportSpec } from './helpers/bridge-transports.js'
import { eventually } from './helpers/start-gateway.js'
import { TestSocket, type Frame } from './helpers/test-socket.js'

// Two gateway nodes and two workers, each a separate process, on a real broker:
// client → gateway → broker → worker → broker → gateway → client.

const configurations: Array<{ kind: TransportSpec['kind']; url: string; broker: keyof typeof brokerUrls; redelivers: boolean }> = [
  { kind: 'amqp', url: brokerUrls.amqp, broker: 'amqp', redelivers: true },
  { kind: 'nats', url: brokerUrls.nats, broker: 'nats', redelivers: false },
  { kind: 'nats-js', url: brokerUrls.nats, broker: 'nats', redelivers: true },
  { kind: 'redis', url: brokerUrls.redis, broker: 'redis', redelivers: true },
]

for (const { kind, url, broker, redelivers } of configurations) {
  test(`${kind}: two gateway nodes and two workers in separate processes`, { skip: await brokerSkipReason(broker), timeout: 120_000 }, async (t) => {
    const spec: TransportSpec = { kind, url, prefix: `e2e-${kind}-${process.pid}-${randomBytes(3).toString('hex')}` }
    const [nodeA, nodeB] = await Promise.all([startGatewayNode(t, spec), startGatewayNode(t, spec)])
    const workers = await Promise.all([startWorker(t, spec, 'w1'), startWorker(t, spec, 'w2')])
    // Registered after the processes: `after` hooks run in order, and a live worker would re-create its stream.
    t.after(() => cleanUpBroker(spec))
    const sockets: TestSocket[] = []
    t.after(() => sockets.forEach((s) => s.ws.terminate()))
    const connect = async (port: number, user: string) => {
      const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/ws?user=${user}`)
      sockets.push(socket)
      return socket
    }

    await t.test('1,000 requests from 8 clients on both nodes: each answered exactly once, to its own client and id, after its progress push', async () => {
      const clients = await Promise.all(Array.from({ length: 8 }, (_, i) => connect(i % 2 === 0 ? nodeA.port : nodeB.port, `user${i}`)))
      const perClient = 125
      await Promise.all(
        clients.map(async (socket, c) => {
          const replies = await Promise.all(Array.from({ length: perClient }, (_, i) => socket.request('ask', { n: c * 1000 + i }, 30_000)))
          replies.forEach((reply, i) => {
            assert.equal(reply.error, undefined, JSON.stringify(reply))
            assert.equal(reply.data.answer.n, c * 1000 + i, 'the reply is the one for this request')
          })
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 300))
      for (const [c, socket] of clients.entries()) {
        assert.deepEqual(socket.frames.filter((f: Frame) => f.id !== undefined), [], 'no second answer for any id')
        const progress = socket.frames.filter((f: Frame) => f.event === 'progress').map((f) => f.data.n)
        assert.deepEqual(progress.sort((x, y) => x - y), Array.from({ length: perClient }, (_, i) => c * 1000 + i), 'one progress push per request, to its own client')
      }
      const calls = await Promise.all(workers.map((w) => w.stats()))
      assert.equal(calls[0].calls + calls[1].calls, 1000, 'every request handled once')
      assert.ok(calls[0].calls > 0 && calls[1].calls > 0, `both workers took a share (${calls[0].calls} / ${calls[1].calls})`)
      for (const socket of clients) socket.ws.terminate()
    })

    await t.test('worker errors are error frames: WsError as is, anything else INTERNAL', async () => {
      const socket = await connect(nodeA.port, 'ada')
      assert.deepEqual((await socket.request('ask', { fail: 'wire' })).error, { code: 'NOT_ALLOWED', message: 'Not allowed to ask that' })
      assert.deepEqual((await socket.request('ask', { fail: 'crash' })).error, { code: 'INTERNAL', message: 'Internal error' })
    })

    await t.test('a service slower than the timeout answers TIMEOUT once; the late reply is discarded', async () => {
      const socket = await connect(nodeB.port, 'ada')
      const answer = await socket.request('slow', { x: 1 })
      assert.equal(answer.error?.code, 'TIMEOUT')
      assert.equal(await socket.quiet(2500, (f) => f.id === answer.id), true)
      const stats = await nodeB.child.stats()
      assert.ok(stats.lateReplies >= 1, 'the late reply was counted')
    })

    await t.test('a push to a room or a user from a worker reaches members on both nodes exactly once', async () => {
      const a = await connect(nodeA.port, 'grace')
      const b = await connect(nodeB.port, 'grace')
      const outsider = await connect(nodeB.port, 'linus')
      await a.request('join', { room: 'r1' })
      await b.request('join', { room: 'r1' })
      assert.deepEqual((await a.request('announce', { room: 'r1', text: 'hello room' })).data, { sent: true })
      assert.equal((await a.nextEvent('announcement')).data, 'hello room')
      assert.equal((await b.nextEvent('announcement')).data, 'hello room')
      await a.request('announce', { user: 'grace', text: 'hello grace' })
      assert.equal((await a.nextEvent('dm')).data, 'hello grace')
      assert.equal((await b.nextEvent('dm')).data, 'hello grace')
      await new Promise((resolve) => setTimeout(resolve, 300))
      for (const socket of [a, b]) assert.equal(socket.frames.filter((f) => f.event === 'announcement' || f.event === 'dm').length, 0, 'no duplicates')
      assert.equal(outsider.frames.length, 0)
    })

    await t.test(
      redelivers
        ? 'a worker killed mid-message (SIGKILL): the message is redelivered to the other worker and answered'
        : 'a worker killed mid-message (SIGKILL) on at-most-once core NATS: the request fails once with TIMEOUT, never hangs, is not redelivered',
      async () => {
      const socket = await connect(nodeA.port, 'ada')
      const answer = socket.request(redelivers ? 'victim' : 'victim-short', { holdMs: 10_000 }, 20_000)
      await eventually(() => workers.some((w) => w.messages.some((m) => m.started !== undefined)), 10_000, 'a worker to start on the message')
      const victim = workers.find((w) => w.messages.some((m) => m.started !== undefined))!
      const survivor = workers.find((w) => w !== victim)!
      const first = victim.messages.find((m) => m.started !== undefined).started as string
      victim.kill('SIGKILL')
      await victim.exited
      const reply = await answer
      if (!redelivers) {
        assert.equal(reply.error?.code, 'TIMEOUT', JSON.stringify(reply))
        assert.ok(!survivor.messages.some((m) => m.started !== undefined && m.redelivered === true), 'not redelivered')
        assert.equal(await socket.quiet(300, (f) => f.id === reply.id), true, 'answered once')
        t.diagnostic(`LEDGER ${JSON.stringify({ case: `worker killed mid-message (${kind})`, accepted: 1, delivered: 0, reportedFailed: 1, lost: 0 })}`)
        return
      }
      assert.equal(reply.error, undefined, JSON.stringify(reply))
      assert.equal(reply.data.redelivered, true)
      assert.notEqual(reply.data.worker, first)
      assert.ok(survivor.messages.some((m) => m.started !== undefined && m.redelivered === true))
      assert.equal(await socket.quiet(300, (f) => f.id === reply.id), true, 'answered once')
      t.diagnostic(`LEDGER ${JSON.stringify({ case: `worker killed mid-message (${kind})`, accepted: 1, delivered: 1, reportedFailed: 0, lost: 0, redeliveredTo: 'the other worker' })}`)
      },
    )
  })
}
