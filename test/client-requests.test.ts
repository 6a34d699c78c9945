import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createClient, type GatewayClient, type ClientOptions, type StatusChange } from '../src/client/index.js'
import { defineGateway, GatewayError } from '../src/index.js'
import { clientTestGateway } from './helpers/client-test-gateway.js'
import { eventually, sleep, startGateway } from './helpers/start-gateway.js'
import { freePort } from './helpers/child-server.js'

type TestClient = GatewayClient<typeof clientTestGateway>

/** A client of `clientTestGateway` served in process, closed when the test ends. */
async function connected(t: TestContext, options: ClientOptions = {}) {
  const gateway = await startGateway(t, { gateways: [clientTestGateway], heartbeat: false })
  const client = open(t, gateway.url(), options)
  await client.whenOpen()
  return { gateway, client }
}

function open(t: TestContext, url: string, options: ClientOptions = {}): TestClient {
  const client = createClient<typeof clientTestGateway>(url, { reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...options })
  t.after(() => client.close())
  return client
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`)
    return error
  }
  assert.fail('expected the promise to reject')
}

test('request resolves with the reply data, typed by the gateway builder', async (t) => {
  const { client } = await connected(t)
  const sum: number = await client.request('add', { a: 2, b: 3 })
  assert.equal(sum, 5)
  assert.deepEqual(await client.request('echo', { nested: [1, 'two', null] }), { nested: [1, 'two', null] })
  assert.equal(await client.request('publish', { room: 'nobody', text: 'x' }), null, 'a handler returning nothing replies null')
  assert.deepEqual(client.pending, { queued: 0, inFlight: 0 })
})

test('server error codes surface as the same GatewayError class with the server code and message', async (t) => {
  const { gateway, client } = await connected(t)
  const refused = await rejection(client.request('fail'))
  assert.equal(refused.code, 'NOT_TODAY')
  assert.equal(refused.message, 'The answer is no')

  const crashed = await rejection(client.request('crash'))
  assert.equal(crashed.code, 'INTERNAL')
  assert.equal(crashed.message, 'Internal error', 'internals never reach the client')

  const forbidden = await rejection(client.join('private-vault'))
  assert.equal(forbidden.code, 'FORBIDDEN')
  assert.equal(client.rooms.has('private-vault'), false, 'a refused join is not remembered')

  const untyped = createClient(gateway.url())
  t.after(() => untyped.close())
  assert.equal((await rejection(untyped.request('no-such-event', {}))).code, 'UNKNOWN_EVENT')
})

test('a request without an answer rejects with TIMEOUT, and a late reply is dropped', async (t) => {
  const { client } = await connected(t)
  const errors: GatewayError[] = []
  client.onError((error) => errors.push(error))

  const hung = await rejection(client.request('hang', undefined, { timeoutMs: 80 }))
  assert.equal(hung.code, 'TIMEOUT')

  const late = await rejection(client.request('slow', { ms: 150, value: 'late' }, { timeoutMs: 40 }))
  assert.equal(late.code, 'TIMEOUT')
  assert.deepEqual(client.pending, { queued: 0, inFlight: 0 }, 'the timed-out request left the ledger')
  // A request the server answers after the late reply: replies on one socket are ordered, so once this one is
  // in, the late reply has arrived too — and matched nothing.
  assert.equal(await client.request('slow', { ms: 200, value: 'after the late one' }), 'after the late one')
  assert.deepEqual(errors, [], 'a late reply is not an error')
  assert.equal(await client.request('echo', 'still fine'), 'still fine')
})

test('the default timeout comes from requestTimeoutMs and counts time spent queued', async (t) => {
  const port = await freePort() // nothing listens: the request stays queued
  const client = open(t, `ws://127.0.0.1:${port}/ws`, { requestTimeoutMs: 60 })
  const started = Date.now()
  const error = await rejection(client.request('echo', 'never sent'))
  assert.equal(error.code, 'TIMEOUT')
  assert.ok(Date.now() - started < 5000)
  assert.equal(client.pending.queued, 0)
})

test('emit is fire-and-forget; an error frame for it reaches onError with its event', async (t) => {
  const { client } = await connected(t)
  const seen: Array<{ code: string; event: string | undefined }> = []
  client.onError((error, context) => seen.push({ code: error.code, event: context.event }))
  await client.join('lobby')
  const message = new Promise((resolve) => client.once('message', resolve))
  assert.equal(client.emit('publish', { room: 'lobby', text: 'hello' }), true)
  assert.deepEqual(await message, { room: 'lobby', text: 'hello' })

  assert.equal(client.emit('fail'), true)
  await eventually(() => seen.length === 1, 2000, 'the error frame of the emit')
  assert.deepEqual(seen, [{ code: 'NOT_TODAY', event: 'fail' }])
})

test('on / off / once deliver pushes; a throwing listener is reported and the others still run', async (t) => {
  const { client } = await connected(t)
  const errors: GatewayError[] = []
  client.onError((error) => errors.push(error))
  await client.join('lobby')

  const got: unknown[] = []
  const onceGot: unknown[] = []
  const listener = (data: unknown) => got.push(data)
  client.on('message', () => {
    throw new Error('listener bug')
  })
  client.on('message', listener)
  client.once('message', (data) => onceGot.push(data))

  await client.request('publish', { room: 'lobby', text: 'one' })
  await eventually(() => got.length === 1, 2000, 'the first push')
  client.off('message', listener)
  await client.request('publish', { room: 'lobby', text: 'two' })
  await sleep(50)
  assert.deepEqual(got, [{ room: 'lobby', text: 'one' }])
  assert.deepEqual(onceGot, [{ room: 'lobby', text: 'one' }])
  assert.equal(errors.length, 2)
  assert.equal(errors[0]!.code, 'INTERNAL')
  assert.match(errors[0]!.message, /listener of "message" threw: listener bug/)
})

test('requests beyond maxInFlight wait in the queue and all get their reply', async (t) => {
  const { client } = await connected(t, { maxInFlight: 2 })
  const replies = Array.from({ length: 6 }, (_, i) => client.request('slow', { ms: 20, value: `v${i}` }))
  assert.deepEqual(client.pending, { queued: 4, inFlight: 2 })
  assert.deepEqual(await Promise.all(replies), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
  assert.deepEqual(client.pending, { queued: 0, inFlight: 0 })
})

test('the offline queue is bounded: QUEUE_FULL past maxQueued, CLOSED for what close() drops', async (t) => {
  const port = await freePort()
  const client = open(t, `ws://127.0.0.1:${port}/ws`, { maxQueued: 2 })
  const first = client.request('echo', 1)
  const second = client.request('echo', 2)
  assert.equal(client.emit('echo', 3), false, 'emit reports the drop')
  const full = await rejection(client.request('echo', 3))
  assert.equal(full.code, 'QUEUE_FULL')
  assert.deepEqual(client.pending, { queued: 2, inFlight: 0 })

  await client.close()
  assert.equal(client.status, 'closed')
  for (const queued of [first, second]) assert.equal((await rejection(queued)).code, 'CLOSED')
  assert.equal((await rejection(client.request('echo', 4))).code, 'CLOSED')
  assert.equal((await rejection(client.whenOpen())).code, 'CLOSED')
  assert.equal(client.emit('echo', 5), false)
})

test('close() rejects requests in flight with DISCONNECTED and stops for good', async (t) => {
  const { gateway, client } = await connected(t)
  const statuses: StatusChange[] = []
  client.onStatus((change) => statuses.push(change))
  const inFlight = rejection(client.request('hang'))
  await eventually(() => client.pending.inFlight === 1)
  await client.close()
  assert.equal((await inFlight).code, 'DISCONNECTED')
  assert.deepEqual(statuses.map((s) => s.status), ['closed'])
  await sleep(100)
  assert.equal(gateway.app.server().size, 0, 'no reconnect after close()')
})

for (const code of [4001, 1008]) {
  test(`close code ${code} from the server stops the reconnect loop`, async (t) => {
    const { gateway, client } = await connected(t)
    const queuedAfter: Array<Promise<GatewayError>> = []
    const statuses: StatusChange[] = []
    client.onStatus((change) => {
      statuses.push(change)
      if (change.status === 'closed') queuedAfter.push(rejection(client.request('echo', 'too late')))
    })
    client.emit('kick', { code, reason: 'credentials expired' })
    await eventually(() => client.status === 'closed', 2000, 'closed status')
    assert.deepEqual(statuses.map(({ status, code, reason }) => ({ status, code, reason })), [{ status: 'closed', code, reason: 'credentials expired' }])
    await sleep(200)
    assert.equal(gateway.app.server().size, 0, 'the client did not come back')
    assert.equal((await queuedAfter[0]!).code, 'CLOSED')
  })
}

test('a server error close (1011) is retried: the client reconnects and re-joins', async (t) => {
  const { gateway, client } = await connected(t)
  await client.join('lobby')
  const statuses: string[] = []
  client.onStatus(({ status }) => statuses.push(status))
  client.emit('kick', { code: 1011, reason: 'oops' })
  await eventually(() => statuses.at(-1) === 'open', 5000, 'reopen')
  assert.deepEqual(statuses, ['reconnecting', 'open'])
  assert.deepEqual(await client.request('rooms'), ['lobby'])
  assert.equal(gateway.app.server().roomSize('lobby'), 1)
})

test('leave() forgets the room: it is not re-joined after a reconnect', async (t) => {
  const { client } = await connected(t)
  await client.join('a')
  await client.join('b')
  await client.leave('a')
  assert.deepEqual([...client.rooms], ['b'])
  const reopened = new Promise<void>((resolve) => client.onStatus(({ status }) => status === 'open' && resolve()))
  client.emit('kick', { code: 1011, reason: 'again' })
  await reopened
  assert.deepEqual(await client.request('rooms'), ['b'])
})

test('headers (Node) reach connection guards on the upgrade request', async (t) => {
  const guarded = defineGateway({
    path: '/secure',
    connectionGuards: [(handshake) => (handshake.headers.authorization === 'Bearer good' ? { id: 'ada' } : null)],
  }).subscribe('whoami', (_data: undefined, client) => client.user)
  const gateway = await startGateway(t, { gateways: [guarded] })
  const client = createClient<typeof guarded>(gateway.url('/secure'), { headers: { authorization: 'Bearer good' } })
  t.after(() => client.close())
  assert.deepEqual(await client.request('whoami'), { id: 'ada' })
})

test('bad arguments and options fail with coded errors, not later', async (t) => {
  const { client } = await connected(t)
  assert.equal((await rejection(client.request('echo', { n: 1n }))).code, 'INVALID_ARGUMENT')
  assert.equal((await rejection(client.request('echo', 1, { timeoutMs: -1 }))).code, 'INVALID_ARGUMENT')
  assert.throws(() => client.emit('' as never, 1 as never), { code: 'INVALID_ARGUMENT' })
  await assert.rejects(client.join(''), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => createClient('ftp://example.test/ws'), { code: 'CONFIG_INVALID' })
  assert.throws(() => createClient('/relative-in-node'), { code: 'CONFIG_INVALID' })
  assert.throws(() => createClient('ws://127.0.0.1:1/ws', { maxInFlight: 0 }), { code: 'CONFIG_INVALID', message: /"maxInFlight"/ })
  assert.throws(() => createClient('ws://127.0.0.1:1/ws', { reconnect: { initialDelayMs: 500, maxDelayMs: 10 } }), { code: 'CONFIG_INVALID', message: /reconnect\.maxDelayMs/ })
  assert.equal(client.status, 'open', 'the client keeps working')
})
