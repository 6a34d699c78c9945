import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { test } from 'node:test'
import { WebSocketServer } from 'ws'
import { createClient, type StatusChange } from '../src/client/index.js'
import { GatewayError } from '../src/index.js'
import { eventually } from './helpers/start-gateway.js'

// A client must survive a bad server as a server survives bad clients: these peers are real
// sockets on loopback that misbehave on purpose.

test('a handshake that never completes is abandoned after connectTimeoutMs and retried', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => {
    sockets.add(socket) // accepts TCP, never answers the HTTP upgrade
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const { port } = silent.address() as { port: number }
  const client = createClient(`ws://127.0.0.1:${port}/ws`, { connectTimeoutMs: 100, reconnect: { initialDelayMs: 10, maxDelayMs: 20 } })
  t.after(() => client.close())
  const statuses: StatusChange[] = []
  client.onStatus((change) => statuses.push(change))
  const request = client.request('echo', 1, { timeoutMs: 1000 })
  await eventually(() => statuses.length >= 3, 5000, 'three abandoned handshakes')
  assert.ok(statuses.every((s) => s.status === 'connecting'))
  assert.equal(client.status, 'connecting')
  await assert.rejects(request, (error: unknown) => error instanceof GatewayError && error.code === 'TIMEOUT')
  assert.ok(sockets.size >= 3, `${sockets.size} handshakes reached the server`)
})

test('malformed frames from the server are reported as BAD_FRAME; the client keeps working', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  // Clients first: a ws server's close() waits for its connections to end.
  t.after(() => new Promise<void>((resolve) => {
    for (const ws of wss.clients) ws.terminate()
    wss.close(() => resolve())
  }))
  wss.on('connection', (ws) => {
    ws.on('error', () => {})
    ws.send('not json')
    ws.send(Buffer.from([1, 2, 3]), { binary: true })
    ws.send('[1,2]')
    ws.send('{"data":"no event"}')
    ws.send('{"event":"x","error":{"message":"no code"}}')
    ws.send('{"event":"ok","data":{"fine":true}}')
    ws.on('message', (raw) => {
      const { event, data, id } = JSON.parse(raw.toString()) as { event: string; data: unknown; id: number }
      ws.send(JSON.stringify({ event, data, id }))
      ws.send(JSON.stringify({ event, data: 'a duplicate reply', id })) // a buggy server answering twice
    })
  })
  const { port } = wss.address() as { port: number }
  const client = createClient(`ws://127.0.0.1:${port}`)
  t.after(() => client.close())
  const reported: string[] = []
  client.onError((error) => reported.push(`${error.code}: ${error.message}`))
  const pushed = new Promise((resolve) => client.once('ok', resolve))

  assert.deepEqual(await pushed, { fine: true })
  assert.equal(await client.request('echo', 'first wins'), 'first wins')
  await eventually(() => reported.length === 5, 2000, 'five reports')
  assert.deepEqual(reported, [
    'BAD_FRAME: The server sent a frame that is not JSON',
    'BAD_FRAME: The server sent a binary frame; gangway speaks JSON text frames',
    'BAD_FRAME: The server sent a frame that is not an envelope object',
    'BAD_FRAME: The server sent a frame without an event name',
    'BAD_FRAME: The server sent an error frame without a code',
  ])
  assert.equal(client.status, 'open')
  assert.deepEqual(client.pending, { queued: 0, inFlight: 0 })
})

test('the client offers gangway.v1 first, then the protocols a function returns before each attempt', async (t) => {
  const offered: string[][] = []
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => {
      offered.push([...protocols])
      return protocols.has('gangway.v1') ? 'gangway.v1' : false
    },
  })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  // Clients first: a ws server's close() waits for its connections to end.
  t.after(() => new Promise<void>((resolve) => {
    for (const ws of wss.clients) ws.terminate()
    wss.close(() => resolve())
  }))
  wss.on('connection', (ws) => ws.on('error', () => {}))
  const { port } = wss.address() as { port: number }
  let calls = 0
  const client = createClient(`ws://127.0.0.1:${port}`, { protocols: async () => [`token.${++calls}`] })
  t.after(() => client.close())
  await client.whenOpen()
  assert.deepEqual(offered, [['gangway.v1', 'token.1']])
})
