import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import express from 'express'
import Fastify from 'fastify'
import { createGateway, defineGateway, silentLogger } from '../src/index.js'
import { rawUpgrade } from './helpers/raw-upgrade.js'
import { TestSocket } from './helpers/test-socket.js'

const chat = defineGateway({ path: '/chat' }).subscribe('where', () => 'chat')
const admin = defineGateway({ path: '/admin/', namespace: 'admin' }).subscribe('where', () => 'admin')

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as { port: number }).port
}

test('several gateways on one plain http server, routed by path; unknown paths get 404 before any upgrade', async (t) => {
  const http = createServer((_req, res) => res.end('plain http still works'))
  const app = createGateway({ gateways: [chat, admin], logger: silentLogger }).attach(http)
  const port = await listen(http)
  t.after(async () => {
    await app.close({ timeoutMs: 100 })
    http.close()
  })
  const onChat = await TestSocket.connect(`ws://127.0.0.1:${port}/chat?x=1`)
  const onAdmin = await TestSocket.connect(`ws://127.0.0.1:${port}/admin`)
  assert.equal((await onChat.request('where')).data, 'chat')
  assert.equal((await onAdmin.request('where')).data, 'admin')
  const unknown = await rawUpgrade(port, '/nowhere')
  assert.equal(unknown.status, 404)
  assert.equal(unknown.upgraded, false)
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'plain http still works')
  onChat.ws.terminate()
  onAdmin.ws.terminate()
})

test('two apps can share one server; a path mounted twice is refused', async (t) => {
  const http = createServer()
  const first = createGateway({ gateways: [chat], logger: silentLogger }).attach(http)
  const second = createGateway({ gateways: [admin], logger: silentLogger }).attach(http)
  assert.throws(() => createGateway({ gateways: [chat], logger: silentLogger }).attach(http), { code: 'CONFIG_INVALID' })
  assert.throws(() => createGateway({ gateways: [chat, chat] }), { code: 'CONFIG_INVALID' })
  const port = await listen(http)
  t.after(async () => {
    await Promise.all([first.close({ timeoutMs: 100 }), second.close({ timeoutMs: 100 })])
    http.close()
  })
  assert.equal((await rawUpgrade(port, '/chat')).status, 101)
  assert.equal((await rawUpgrade(port, '/admin')).status, 101)
  assert.equal((await rawUpgrade(port, '/other')).status, 404)
})

test('an https server: the gateway inherits its TLS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gangway-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
  const cert = readFileSync(join(dir, 'cert.pem'))
  const https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert })
  const app = createGateway({ gateways: [chat], logger: silentLogger }).attach(https)
  https.listen(0, '127.0.0.1')
  await once(https, 'listening')
  const { port } = https.address() as { port: number }
  t.after(async () => {
    await app.close({ timeoutMs: 100 })
    https.close()
  })
  // The certificate is verified against our own CA: the TLS is real, not switched off.
  const socket = await TestSocket.connect(`wss://127.0.0.1:${port}/chat`, { ca: cert })
  await assert.rejects(TestSocket.connect(`ws://127.0.0.1:${port}/chat`), 'plain ws is not spoken on a TLS port')
  assert.equal((await socket.request('where')).data, 'chat')
  socket.ws.terminate()
})

test('an Express app and a Fastify app', async (t) => {
  const web = express()
  web.get('/health', (_req, res) => void res.json({ ok: true }))
  const expressServer = web.listen(0, '127.0.0.1')
  await once(expressServer, 'listening')
  const expressApp = createGateway({ gateways: [chat], logger: silentLogger }).attach(expressServer)

  const fastify = Fastify()
  fastify.get('/health', async () => ({ ok: true }))
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const fastifyApp = createGateway({ gateways: [chat], logger: silentLogger }).attach(fastify.server)
  t.after(async () => {
    await Promise.all([expressApp.close({ timeoutMs: 100 }), fastifyApp.close({ timeoutMs: 100 })])
    expressServer.close()
    await fastify.close()
  })

  for (const server of [expressServer, fastify.server]) {
    const { port } = server.address() as { port: number }
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${port}/health`)).json(), { ok: true })
    const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/chat`)
    assert.equal((await socket.request('where')).data, 'chat')
    socket.ws.terminate()
  }
})

test('listen(0) starts a server of its own that answers plain HTTP with 426', async (t) => {
  const app = createGateway({ gateways: [chat], logger: silentLogger })
  const { port } = await app.listen(0, '127.0.0.1')
  t.after(() => app.close({ timeoutMs: 100 }))
  const response = await fetch(`http://127.0.0.1:${port}/chat`)
  assert.equal(response.status, 426)
  await assert.rejects(app.listen(0), { code: 'CONFIG_INVALID' })
})

test('createGateway refuses a class (not an instance) and things that are not gateways', () => {
  class NotAnInstance {}
  assert.throws(() => createGateway({ gateways: [NotAnInstance] }), /Pass an instance of NotAnInstance/)
  assert.throws(() => createGateway({ gateways: [{}] }), /not a gateway/)
  assert.throws(() => defineGateway({ path: 'no-slash' }), { code: 'CONFIG_INVALID' })
  assert.throws(() => defineGateway({ path: '/x' }).subscribe('a', () => 1).subscribe('a', () => 2) && createGateway({ gateways: [defineGateway({ path: '/x' }).subscribe('a', () => 1).subscribe('a', () => 2)] }), /twice/)
})
