import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { z } from 'zod'
import { defineGateway, exploreGateway, WsError, type Client, type GatewayLike } from '../src/index.js'
import { startGateway } from './helpers/start-gateway.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
// The project's own compiler (its `bin`, which the package's exports map does not list).
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')

/** Compiles the fixture with one decorator mode and returns the compiled module. */
async function compile(mode: 'standard' | 'legacy') {
  execFileSync(process.execPath, [tsc, '-p', `test/fixtures/decorators/tsconfig.${mode}.json`], { cwd: root, stdio: 'pipe' })
  const file = `${root}dist/fixtures/decorators-${mode}/chat-gateway.js`
  const source = readFileSync(file, 'utf8')
  // Proof of the mode actually compiled: TypeScript's helper for each.
  assert.match(source, mode === 'legacy' ? /__decorate\(/ : /__esDecorate\(/)
  return (await import(pathToFileURL(file).href)) as { makeGateway(): GatewayLike; events: string[] }
}

/** The same gateway, written with the builder: decorators are sugar over this. */
function builderGateway(): { gateway: GatewayLike; events: string[] } {
  const events: string[] = []
  const saved: string[] = []
  const Join = z.object({ room: z.string().min(1) })
  const gateway = defineGateway({
    path: '/chat',
    name: 'Chat',
    connectionGuards: [(h) => (h.query.get('user') ? { id: h.query.get('user') } : null)],
  })
    .onConnect(async (client: Client) => {
      events.push(`connect ${client.userId}`)
      client.emit('welcome', { id: client.id })
    })
    .onDisconnect((client) => void events.push(`disconnect ${client.userId} rooms=${[...client.rooms]}`))
    .subscribe('ping', () => 'pong from Chat')
    .subscribe('who', (_d, client) => client.userId)
    .subscribe('join', { schema: Join }, async ({ room }, client) => {
      await client.join(room)
      return { joined: room }
    })
    .subscribe('say', { guards: [({ client }) => client.userId !== 'muted'] }, ({ room, text }: { room: string; text: string }, client) => {
      if (!client.rooms.has(room)) throw new WsError('NOT_A_MEMBER', 'Join the room first')
      saved.push(text)
      const message = { text, n: saved.length }
      client.server.to(room).emit('message', message)
      return message
    })
    .subscribe('shout', (text: string) => text.toUpperCase())
  return { gateway, events }
}

const variants: Array<[string, () => Promise<{ gateway: GatewayLike; events: string[] }>]> = [
  ['standard decorators', async () => compile('standard').then((m) => ({ gateway: m.makeGateway(), events: m.events }))],
  ['experimentalDecorators', async () => compile('legacy').then((m) => ({ gateway: m.makeGateway(), events: m.events }))],
  ['the builder', async () => builderGateway()],
]

for (const [name, load] of variants) {
  test(`${name}: guards, schema, handlers, inheritance, field handlers, hooks`, { timeout: 60_000 }, async (t) => {
    const { gateway, events } = await load()
    const gw = await startGateway(t, { gateways: [gateway] })
    await assert.rejects(gw.connect('/chat'), /401/)

    const ada = await gw.connect('/chat?user=ada')
    const muted = await gw.connect('/chat?user=muted')
    assert.equal((await ada.nextEvent('welcome')).data.id.length > 0, true)
    assert.equal((await ada.request('ping')).data, 'pong from Chat', 'the subclass handler wins')
    assert.equal((await ada.request('who')).data, 'ada', 'inherited handler')
    assert.equal((await ada.request('shout', 'hey')).data, 'HEY', 'field handler')
    assert.equal((await ada.request('join', { room: '' })).error?.code, 'INVALID_PAYLOAD')
    assert.equal((await ada.request('say', { room: 'r', text: 'x' })).error?.code, 'NOT_A_MEMBER')
    assert.deepEqual((await ada.request('join', { room: 'r' })).data, { joined: 'r' })
    await muted.request('join', { room: 'r' })
    assert.deepEqual((await ada.request('say', { room: 'r', text: 'hello' })).data, { text: 'hello', n: 1 })
    assert.deepEqual((await muted.nextEvent('message')).data, { text: 'hello', n: 1 })
    assert.equal((await muted.request('say', { room: 'r', text: 'x' })).error?.code, 'FORBIDDEN')
    await ada.close()
    await muted.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.deepEqual(events.sort(), ['connect ada', 'connect muted', 'disconnect ada rooms=r', 'disconnect muted rooms=r'])
  })
}

test('decorators and the builder produce the same definition', async () => {
  const decorated = exploreGateway((await compile('standard')).makeGateway())!
  const legacy = exploreGateway((await compile('legacy')).makeGateway())!
  const { gateway } = builderGateway()
  const built = (await import('../src/index.js')).toDefinition(gateway)
  const shape = (d: typeof built) => ({
    name: d.name,
    path: d.path,
    namespace: d.namespace,
    events: d.handlers.map((h) => h.event).sort(),
    schemas: d.handlers.filter((h) => h.schema).map((h) => h.event),
    guarded: d.handlers.filter((h) => h.guards.length > 0).map((h) => h.event),
    connectionGuards: d.connectionGuards.length,
    hooks: [d.onConnect.length, d.onDisconnect.length],
  })
  assert.deepEqual(shape(decorated), shape(built))
  assert.deepEqual(shape(legacy), shape(built))
  assert.ok(Object.isFrozen(decorated) && Object.isFrozen(decorated.handlers))
})
