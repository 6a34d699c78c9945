import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Parser } from '@asyncapi/parser'
import { z } from 'zod'
import { asyncApiDocument, createGateway, defineGateway, ERROR_CODES, silentLogger, type AsyncApiDocument } from '../src/index.js'
import { ChatGateway } from '../demo/chat-gateway.js'
import { asyncApiOptions } from '../demo/chat-asyncapi.js'
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text.js'
import { TestSocket } from './helpers/test-socket.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cli = fileURLToPath(new URL('../src/cli/gangway-ws.js', import.meta.url))

/** Parses and validates with @asyncapi/parser; fails on any error or warning. */
async function validate(document: unknown) {
  const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document))
  // severity 0 = error, 1 = warning; 2 (information) only suggests AsyncAPI 3.1.
  const problems = diagnostics.filter((d) => d.severity < 2)
  assert.deepEqual(problems.map((d) => `${d.code} ${d.message} at ${d.path.join('.')}`), [])
  assert.ok(parsed, 'parsed')
  return parsed
}

type Json = Record<string, any>

test('the demo gateway\'s document is valid AsyncAPI 3.0: channel, operations, schemas, replies, errors', async () => {
  const app = createGateway({ gateways: [new ChatGateway()], hello: true, logger: silentLogger })
  const doc = asyncApiDocument(app, asyncApiOptions) as Json
  const parsed = await validate(doc)
  assert.equal(doc.asyncapi, '3.0.0')
  assert.deepEqual(parsed.channels().all().map((c) => c.address()), ['/ws'])
  assert.deepEqual(parsed.operations().all().map((o) => `${o.action()} ${o.id()}`), [
    'receive ws.echo',
    'receive ws.join',
    'receive ws.leave',
    'receive ws.presence',
    'receive ws.history',
    'receive ws.publish',
    'receive ws.ask',
    'send ws.hello',
    'send ws.welcome',
    'send ws.message',
    'send ws.left',
    'receive ws._ping',
    'send ws._presence',
    'send ws._recovery',
    'receive ws._cancel',
    'send ws.protocolError',
  ])
  // Presence frames: the first with everyone, then joins and leaves per user.
  const presence = doc.components.messages.presence.payload.properties
  assert.equal(presence.event.const, '$presence')
  assert.deepEqual(presence.data.oneOf.map((o: Json) => o.required), [['room', 'members'], ['room', 'joins', 'leaves']])
  assert.deepEqual(presence.data.oneOf[0].properties.members.items.required, ['userId', 'connections'])

  // The protocol's $cancel: a receive operation without a reply; requests may carry a deadline.
  assert.equal(doc.operations['ws._cancel'].reply, undefined)
  assert.deepEqual(doc.components.messages.cancel.payload.required, ['event', 'id'])
  assert.equal(doc.components.messages['ws.join.request'].payload.properties.deadline.type, 'number')
  // History: requests may carry since, pushes to history rooms carry room/offset/epoch, joins are answered by $recovery.
  assert.equal(doc.components.messages['ws.join.request'].payload.properties.since.type, 'object')
  assert.deepEqual(doc.components.messages.recovery.payload.properties.data.required, ['room', 'recovered', 'replayed'])
  assert.equal(doc.components.messages['ws.message.push'].payload.properties.offset.type, 'integer')

  // Payload schemas come from the zod validators.
  const join = doc.components.messages['ws.join.request'].payload
  assert.deepEqual(join.properties.event, { type: 'string', const: 'join' })
  assert.deepEqual(join.properties.data.properties.room, { type: 'string', minLength: 1, maxLength: 64 })
  assert.deepEqual(join.properties.data.required, ['room'])
  assert.deepEqual(doc.components.messages['ws.join.reply'].payload.properties.data.properties.room, { type: 'string' })

  // Each request is answered by its reply or an error frame, correlated by id.
  const joinOp = doc.operations['ws.join']
  assert.deepEqual(joinOp.reply.messages, [{ $ref: '#/channels/ws/messages/join.reply' }, { $ref: '#/channels/ws/messages/error' }])
  assert.equal(doc.components.correlationIds.requestId.location, '$message.payload#/id')
  const parsedJoin = parsed.operations().get('ws.join')!
  assert.deepEqual(parsedJoin.reply()!.messages().all().map((m) => m.name()), ['join', 'error'])

  // Error codes from the registry: every wire code, with close codes where they apply.
  const codes = doc.components.schemas.errorFrame['x-gangway-error-codes']
  const wire = Object.entries(ERROR_CODES).filter(([, info]) => info.wire).map(([code]) => code)
  assert.deepEqual(Object.keys(codes), wire)
  assert.equal(codes.RATE_LIMITED.closeCode, 1008)
  assert.ok(!('ORIGIN_NOT_ALLOWED' in codes), 'codes that never reach the wire are left out')
})

test('schemas that cannot become JSON Schema, odd event names, several gateways and namespaces', async () => {
  const opaque = { '~standard': { version: 1, vendor: 'custom', validate: (value: unknown) => ({ value }) } } as const
  const chat = defineGateway({ path: '/chat', namespace: '/chat' })
    .subscribe('room:join', { schema: z.object({ room: z.string() }) }, () => 'ok')
    .subscribe('odd event/name', { schema: opaque }, () => 'ok')
    .subscribe('room_join', () => 'ok')
  const admin = defineGateway({ path: '/admin/ws', name: 'Admin' }).subscribe('purge', () => undefined)
  const doc = asyncApiDocument([chat, admin], { servers: { production: { host: 'chat.example.com', protocol: 'wss' } } }) as Json
  await validate(doc)
  assert.deepEqual(Object.keys(doc.channels), ['chat', 'admin_ws'])
  assert.equal(doc.channels.admin_ws.address, '/admin/ws')
  assert.equal(doc.channels.admin_ws.title, 'Admin')
  assert.deepEqual(Object.keys(doc.operations), ['chat.room_join', 'chat.odd_event_name', 'chat.room_join_2', 'chat._ping', 'chat._presence', 'chat._recovery', 'chat._cancel', 'chat.protocolError', 'admin_ws.purge', 'admin_ws._ping', 'admin_ws._presence', 'admin_ws._recovery', 'admin_ws._cancel', 'admin_ws.protocolError'])
  const odd = doc.components.messages['chat.odd_event_name.request'].payload
  assert.equal(odd.properties.event.const, 'odd event/name')
  assert.match(odd.properties.data.description, /cannot be expressed/)
  assert.deepEqual(doc.servers, { production: { host: 'chat.example.com', protocol: 'wss' } })
})

function runCli(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 })
}

test('gangway-ws asyncapi (the CLI) documents the gateways a module exports', async () => {
  const result = runCli(['asyncapi', 'dist/demo/chat-gateway.js', 'dist/demo/chat-asyncapi.js', '--hello', '--server', 'wss://chat.example.com'])
  assert.equal(result.status, 0, result.stderr)
  const doc = JSON.parse(result.stdout) as AsyncApiDocument & Json
  await validate(doc)
  assert.equal(doc.info.title, 'gangway demo chat')
  assert.deepEqual(doc.servers, { server1: { host: 'chat.example.com', protocol: 'wss' } })
  assert.ok(doc.operations['ws.welcome'] && doc.operations['ws.hello'])

  const none = runCli(['asyncapi', 'dist/demo/chat-asyncapi.js'])
  assert.equal(none.status, 2)
  assert.match(none.stderr, /no gateway is exported by dist\/demo\/chat-asyncapi.js/)
  const unknown = runCli(['nope'])
  assert.equal(unknown.status, 2)
  assert.match(unknown.stderr, /unknown command "nope"/)
})

test('the demo serves /asyncapi.json, /metrics and /health, and drains on SIGTERM', async (t) => {
  const demo = spawn(process.execPath, ['dist/demo/server.js'], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => demo.kill('SIGKILL'))
  let output = ''
  demo.stdout.setEncoding('utf8')
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start: ${output}`)), 15_000)
    demo.stdout.on('data', (chunk: string) => {
      output += chunk
      const match = /localhost:(\d+)\//.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
  })
  const base = `http://127.0.0.1:${port}`
  const served = (await (await fetch(`${base}/asyncapi.json`)).json()) as Json
  await validate(served)
  assert.ok(served.operations['ws.publish'])

  const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`)
  await socket.nextEvent('welcome')
  for (let i = 0; i < 3; i++) await socket.request('echo', i)
  const samples = parsePrometheusText(await (await fetch(`${base}/metrics`)).text())
  assert.equal(sampleValue(samples, 'gangway_messages_handled_total', { gateway: '/ws', event: 'echo', outcome: 'ok' }), 3)
  assert.equal(sampleValue(samples, 'gangway_connections', { gateway: '/ws' }), 1)
  const health = await fetch(`${base}/health`)
  assert.equal(health.status, 200)
  assert.deepEqual(await health.json(), { status: 'ready', ready: true, draining: false, connections: 1, brokers: {} })

  demo.kill('SIGTERM')
  assert.equal((await socket.closed).code, 1001)
  const [code] = await once(demo, 'exit')
  assert.equal(code, 0)
})
