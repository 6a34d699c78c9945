import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { createClient, type StatusChange } from '../src/client/index.js'
import { createGateway, GatewayError, silentLogger } from '../src/index.js'
import { ChildServer, freePort } from './helpers/child-server.js'
import { clientTestGateway } from './helpers/client-test-gateway.js'
import { eventually } from './helpers/start-gateway.js'
import { TestSocket } from './helpers/test-socket.js'

const serverScript = fileURLToPath(new URL('./helpers/client-test-server.js', import.meta.url))

function startServer(port: number): Promise<ChildServer> {
  return ChildServer.start(serverScript, { PORT: String(port) }, /listening (\d+)/)
}

/** Settles to the error code, or "resolved" — so every outcome of a request is counted, exactly once. */
function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof GatewayError ? error.code : `not a GatewayError: ${String(error)}`),
  )
}

test('the server is killed and restarted on the same port: in-flight requests fail DISCONNECTED, the client reconnects, re-joins its rooms, then sends what was queued', async (t) => {
  const port = await freePort()
  let server = await startServer(port)
  t.after(() => server.kill())

  let attempts = 0
  const client = createClient<typeof clientTestGateway>(
    () => {
      attempts++
      return `ws://127.0.0.1:${port}/ws`
    },
    { reconnect: { initialDelayMs: 50, maxDelayMs: 400 }, requestTimeoutMs: 20_000 },
  )
  t.after(() => client.close())
  const statuses: StatusChange[] = []
  client.onStatus((change) => statuses.push(change))
  const messages: unknown[] = []
  client.on('message', (data) => messages.push(data))

  await client.whenOpen()
  await client.join('lobby')
  await client.join('slow-news')
  assert.deepEqual(await client.request('rooms'), ['lobby', 'slow-news'])

  // 50 requests the server holds: all in flight when it dies.
  const inFlight = Array.from({ length: 50 }, () => outcome(client.request('hang')))
  await eventually(() => client.pending.inFlight === 50)
  // The server reads one socket in order: once a later request is answered, the 50 reached it — truly in flight.
  assert.deepEqual(await client.request('rooms'), ['lobby', 'slow-news'])
  await server.kill('SIGKILL')

  const outcomes = await Promise.all(inFlight)
  assert.deepEqual(new Set(outcomes), new Set(['DISCONNECTED']), 'every in-flight request failed with DISCONNECTED')
  assert.equal(outcomes.length, 50)
  await eventually(() => client.status === 'reconnecting', 2000, 'reconnecting status')
  const drop = statuses.find((s) => s.status === 'reconnecting')!
  assert.equal(drop.code, 1006, 'a killed server closes abnormally')
  assert.ok(drop.delayMs! >= 0 && drop.delayMs! < 50, `first retry within the initial bound, got ${drop.delayMs}`)

  // While the server is down: a request and an emit wait in the queue.
  const attemptsAtDrop = attempts
  const queuedRooms = client.request('rooms')
  const queuedOutcome = outcome(queuedRooms)
  assert.equal(client.emit('publish', { room: 'lobby', text: 'queued while offline' }), true)
  assert.deepEqual(client.pending, { queued: 2, inFlight: 0 })
  await eventually(() => attempts - attemptsAtDrop >= 2, 5000, 'several attempts failing against the closed port')
  assert.equal(client.status, 'reconnecting')
  assert.equal(client.pending.queued, 2, 'nothing queued was lost or failed while down')

  server = await startServer(port)
  await client.whenOpen()

  // The queued request went out only after the re-joins were answered (slow-news takes 100 ms to join).
  assert.deepEqual(await queuedRooms, ['lobby', 'slow-news'])
  assert.equal(await queuedOutcome, 'resolved')
  // The queued emit went out too: the client, back in lobby, receives its own publish.
  await eventually(() => messages.length === 1, 5000, 'the queued publish')
  assert.deepEqual(messages, [{ room: 'lobby', text: 'queued while offline' }])

  // A push to the room from someone else reaches the reconnected client.
  const other = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`)
  t.after(() => other.close())
  const published = await other.request('publish', { room: 'slow-news', text: 'after restart' })
  assert.equal(published.error, undefined)
  await eventually(() => messages.length === 2, 5000, 'the push after restart')
  assert.deepEqual(messages[1], { room: 'slow-news', text: 'after restart' })

  const changes = statuses.filter((s) => s.status !== s.previous).map((s) => s.status)
  assert.deepEqual(changes, ['open', 'reconnecting', 'open'])
  const retries = statuses.filter((s) => s.status === 'reconnecting')
  assert.deepEqual(
    retries.map((s) => s.attempt),
    retries.map((_, i) => i + 1),
    'one status event per attempt, numbered',
  )
  assert.ok(retries.length >= 3, `${retries.length} attempts were reported`)
  assert.deepEqual(client.pending, { queued: 0, inFlight: 0 }, 'the ledger is empty again')
})

test('a draining server (1001) is retried and the client comes back when a new server listens on the port', async (t) => {
  const port = await freePort()
  const first = createGateway({ gateways: [clientTestGateway], logger: silentLogger, heartbeat: false })
  await first.listen(port, '127.0.0.1')
  const client = createClient<typeof clientTestGateway>(`ws://127.0.0.1:${port}/ws`, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } })
  t.after(() => client.close())
  const statuses: StatusChange[] = []
  client.onStatus((change) => statuses.push(change))
  await client.whenOpen()
  await client.join('lobby')

  await first.close({ timeoutMs: 200 })
  await eventually(() => client.status === 'reconnecting', 3000)
  assert.equal(statuses[1]!.code, 1001)

  const second = createGateway({ gateways: [clientTestGateway], logger: silentLogger, heartbeat: false })
  await second.listen(port, '127.0.0.1')
  t.after(() => second.close({ timeoutMs: 200 }))
  await client.whenOpen()
  assert.deepEqual(await client.request('rooms'), ['lobby'])
  assert.equal(second.server().roomSize('lobby'), 1)
})

test('maxAttempts gives up: the client closes and what was queued rejects with CLOSED', async (t) => {
  const port = await freePort()
  const client = createClient(`ws://127.0.0.1:${port}/ws`, { reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 } })
  t.after(() => client.close())
  const queued = outcome(client.request('echo', 'never'))
  const statuses: StatusChange[] = []
  client.onStatus((change) => statuses.push(change))
  await eventually(() => client.status === 'closed', 5000, 'giving up')
  assert.equal(await queued, 'CLOSED')
  assert.deepEqual(
    statuses.map((s) => `${s.status}${s.attempt ?? ''}`),
    ['connecting1', 'connecting2', 'connecting3', 'closed'],
    'never open: it stayed "connecting", retried 3 times after the first attempt failed, then gave up',
  )
})

test('reconnect: false closes for good on the first drop', async (t) => {
  const port = await freePort()
  const server = await startServer(port)
  t.after(() => server.kill())
  const client = createClient<typeof clientTestGateway>(`ws://127.0.0.1:${port}/ws`, { reconnect: false })
  t.after(() => client.close())
  await client.whenOpen()
  const inFlight = outcome(client.request('hang'))
  await eventually(() => client.pending.inFlight === 1)
  await server.kill()
  assert.equal(await inFlight, 'DISCONNECTED')
  await eventually(() => client.status === 'closed', 2000)
})
