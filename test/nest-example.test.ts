import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import { GangwayHost } from '../src/nest/index.js'
import { rawUpgrade } from './helpers/raw-upgrade.js'
import { TestSocket } from './helpers/test-socket.js'

// The example is a CommonJS Nest app compiled with experimentalDecorators and
// emitDecoratorMetadata (scripts/build-examples.mjs); it requires gangway by name.
const require = createRequire(import.meta.url)
const example = '../../examples/nest/dist'
const { createApp } = require(`${example}/create-app.js`) as { createApp(platform: string): Promise<NestApp> }
const { ChatGateway } = require(`${example}/chat/chat.gateway.js`) as { ChatGateway: new (...args: never[]) => object }
const { RoomService } = require(`${example}/chat/room.service.js`) as { RoomService: new (...args: never[]) => object }
const { NotifyController } = require(`${example}/notify/notify.controller.js`) as { NotifyController: new (...args: never[]) => { gateway: object } }

interface NestApp {
  listen(port: number, host: string): Promise<unknown>
  getHttpServer(): { address(): AddressInfo | string | null; listening: boolean }
  get<T>(token: new (...args: never[]) => T): T
  close(): Promise<void>
}

for (const platform of ['express', 'fastify']) {
  describe(`examples/nest on ${platform}`, () => {
    async function boot(t: { after(fn: () => Promise<void>): void }) {
      const app = await createApp(platform)
      await app.listen(0, '127.0.0.1')
      const { port } = app.getHttpServer().address() as AddressInfo
      const sockets: TestSocket[] = []
      t.after(async () => {
        for (const socket of sockets) socket.ws.terminate()
        await app.close()
      })
      const connect = async (user: string) => {
        const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/chat`, { headers: { authorization: `Bearer ${user}` } })
        sockets.push(socket)
        return socket
      }
      return { app, port, connect }
    }

    test('the gateway is built by Nest DI, once, and handles each connection once', async (t) => {
      const { app, port, connect } = await boot(t)
      const gateway = app.get(ChatGateway)
      // ChatModule is imported by AppModule and by NotifyModule: one instance all the same.
      assert.equal(app.get(NotifyController).gateway, gateway)
      assert.equal((gateway as unknown as { rooms: unknown }).rooms, app.get(RoomService), 'RoomService injected through the constructor')
      const host = app.get(GangwayHost)
      assert.deepEqual(host.app.gateways.map((g) => g.path), ['/chat'])

      const ada = await connect('ada')
      const welcome = await ada.nextEvent('welcome')
      assert.equal(welcome.data.user, 'ada')
      assert.equal(await ada.quiet(200, (f) => f.event === 'welcome'), true, 'onConnect ran once')

      const join = await ada.request('join', { room: 'lobby' })
      assert.deepEqual(join.data, { room: 'lobby', history: [] })
      const said = await ada.request('say', { room: 'lobby', text: 'hi' })
      assert.deepEqual(said.data, { seq: 1 })
      assert.equal((await ada.nextEvent('message')).data.text, 'hi')
      assert.equal(await ada.quiet(200, (f) => f.event === 'message' || f.event === 'say'), true, 'each frame handled once')

      // State kept by the injected service is visible to the next client.
      const bob = await connect('bob')
      assert.deepEqual((await bob.request('join', { room: 'lobby' })).data, { room: 'lobby', history: ['hi'] })
      assert.equal(host.app.connectionCount, 2)

      // Push from an HTTP controller through the injected GangwayHost.
      const response = await fetch(`http://127.0.0.1:${port}/announce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ room: 'lobby', text: 'maintenance at noon' }),
      })
      assert.deepEqual(await response.json(), { delivered: 2 })
      assert.equal((await ada.nextEvent('announcement')).data.text, 'maintenance at noon')
      assert.equal((await bob.nextEvent('announcement')).data.text, 'maintenance at noon')

      const invalid = await ada.request('say', { room: 'lobby' })
      assert.equal(invalid.error?.code, 'INVALID_PAYLOAD')
    })

    test('connection guards answer before the upgrade', async (t) => {
      const { port } = await boot(t)
      assert.equal((await rawUpgrade(port, '/chat')).status, 401)
      assert.equal((await rawUpgrade(port, '/nowhere', { authorization: 'Bearer ada' })).status, 404)
    })

    test('app.close() drains through Nest: clients get 1001 and the HTTP server stops', async () => {
      const app = await createApp(platform)
      await app.listen(0, '127.0.0.1')
      const { port } = app.getHttpServer().address() as AddressInfo
      const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/chat`, { headers: { authorization: 'Bearer ada' } })
      await socket.nextEvent('welcome')
      const host = app.get(GangwayHost)
      await app.close()
      assert.deepEqual(await socket.closed, { code: 1001, reason: 'Server shutting down' })
      assert.equal(host.app.draining, true)
      assert.equal(host.app.connectionCount, 0)
      assert.equal(app.getHttpServer().listening, false)
    })
  })
}
