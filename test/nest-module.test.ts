import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import 'reflect-metadata'
import { Module, Scope, type DynamicModule, type INestApplication, type INestApplicationContext, type Provider, type Type } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { Gateway, GatewayError, OnConnect, Subscribe, silentLogger, type Client } from '../src/index.js'
import { GangwayHost, GangwayModule } from '../src/nest/index.js'
import { TestSocket } from './helpers/test-socket.js'

// These scenarios are compiled with the project's standard decorators, so Nest's
// constructor metadata is replaced by factory providers; examples/nest covers
// emitDecoratorMetadata and constructor injection.

let built = 0
let connected = 0

@Gateway({ path: '/ws' })
class CountingGateway {
  constructor() {
    built++
  }

  @OnConnect()
  hello(client: Client) {
    connected++
    client.emit('ready')
  }

  @Subscribe('ping')
  ping() {
    return 'pong'
  }
}

function nestModule(name: string, metadata: { imports?: unknown[]; providers?: Provider[]; exports?: unknown[] }): Type {
  const target = { [name]: class {} }[name]!
  Module(metadata as Parameters<typeof Module>[0])(target)
  return target
}

const gangway = (options: Parameters<typeof GangwayModule.forRoot>[0] = {}): DynamicModule =>
  GangwayModule.forRoot({ logger: silentLogger, heartbeat: false, ...options })

async function start(t: { after(fn: () => Promise<void>): void }, root: Type): Promise<{ app: INestApplication; port: number }> {
  const app = await NestFactory.create(root, { logger: false })
  t.after(() => app.close())
  await app.listen(0, '127.0.0.1')
  return { app, port: (app.getHttpServer().address() as AddressInfo).port }
}

async function bootFails(root: Type): Promise<GatewayError> {
  const app = await NestFactory.create(root, { logger: false, abortOnError: false })
  try {
    await app.init()
  } catch (err) {
    return err as GatewayError
  } finally {
    await app.close().catch(() => {})
  }
  assert.fail('the application booted')
}

test('a gateway provided once and imported through several modules and an alias is built and mounted once', async (t) => {
  built = 0
  connected = 0
  const ChatModule = nestModule('ChatModule', {
    providers: [CountingGateway, { provide: 'ALIAS', useExisting: CountingGateway }],
    exports: [CountingGateway, 'ALIAS'],
  })
  const AdminModule = nestModule('AdminModule', { imports: [ChatModule] })
  const ReportModule = nestModule('ReportModule', { imports: [ChatModule] })
  const AppModule = nestModule('AppModule', { imports: [ChatModule, AdminModule, ReportModule, gangway()] })
  const { app, port } = await start(t, AppModule)
  assert.equal(built, 1)
  assert.equal(app.get('ALIAS'), app.get(CountingGateway))

  const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/ws`)
  t.after(() => socket.ws.terminate())
  await socket.nextEvent('ready')
  assert.equal((await socket.request('ping')).data, 'pong')
  assert.equal(await socket.quiet(200), true, 'no second copy of any frame')
  assert.equal(connected, 1)
})

test('the trap of listing a gateway in two modules\' providers stops the boot with a fix', async () => {
  const ChatModule = nestModule('ChatModule', { providers: [CountingGateway], exports: [CountingGateway] })
  const GatewayModuleAgain = nestModule('WsGatewayModule', { providers: [CountingGateway] })
  const AppModule = nestModule('AppModule', { imports: [ChatModule, GatewayModuleAgain, gangway()] })
  const err = await bootFails(AppModule)
  assert.ok(err instanceof GatewayError, String(err))
  assert.equal(err.code, 'CONFIG_INVALID')
  assert.match(err.message, /CountingGateway is listed in the providers of (ChatModule and WsGatewayModule|WsGatewayModule and ChatModule)/)
  assert.match(err.message, /exports/)
})

test('a request-scoped gateway is refused', async () => {
  const ChatModule = nestModule('ChatModule', { providers: [{ provide: CountingGateway, useClass: CountingGateway, scope: Scope.REQUEST }] })
  const err = await bootFails(nestModule('AppModule', { imports: [ChatModule, gangway()] }))
  assert.equal(err.code, 'CONFIG_INVALID')
  assert.match(err.message, /CountingGateway in ChatModule is request-scoped or transient/)
})

test('forRoot imported twice is refused', async () => {
  const ChatModule = nestModule('ChatModule', { providers: [CountingGateway] })
  const err = await bootFails(nestModule('AppModule', { imports: [ChatModule, gangway(), nestModule('Other', { imports: [gangway()] })] }))
  assert.equal(err.code, 'CONFIG_INVALID')
  assert.match(err.message, /imported more than once/)
})

@Gateway({ path: '/other' })
class OtherGateway {
  @Subscribe('who') who() {
    return 'other'
  }
}

test('the "gateways" option mounts only the listed classes and names one nobody provides', async (t) => {
  const ChatModule = nestModule('ChatModule', { providers: [CountingGateway, OtherGateway] })
  const { app, port } = await start(t, nestModule('AppModule', { imports: [ChatModule, gangway({ gateways: [OtherGateway] })] }))
  assert.deepEqual(app.get(GangwayHost).app.gateways.map((g) => g.path), ['/other'])
  const socket = await TestSocket.connect(`ws://127.0.0.1:${port}/other`)
  t.after(() => socket.ws.terminate())
  assert.equal((await socket.request('who')).data, 'other')

  const Lonely = nestModule('Lonely', { providers: [CountingGateway] })
  const err = await bootFails(nestModule('AppModule', { imports: [Lonely, gangway({ gateways: [OtherGateway] })] }))
  assert.match(err.message, /OtherGateway is listed in GangwayModule's "gateways" but no module provides it/)
})

test('shutdown drains first: an in-flight handler answers with its services still up, then 1001', async () => {
  const order: string[] = []
  let started!: () => void
  const handlerStarted = new Promise<void>((resolve) => (started = resolve))
  class Store {
    async save(text: string) {
      started()
      await new Promise((resolve) => setTimeout(resolve, 150))
      order.push(`saved ${text}`)
      return text.length
    }
    onApplicationShutdown() {
      order.push('store closed')
    }
  }
  @Gateway({ path: '/slow' })
  class SlowGateway {
    constructor(private readonly store: Store) {}
    @Subscribe('save') save(text: string) {
      return this.store.save(text)
    }
  }
  const StoreModule = nestModule('StoreModule', {
    providers: [Store, { provide: SlowGateway, useFactory: (store: Store) => new SlowGateway(store), inject: [Store] }],
  })
  const app = await NestFactory.create(nestModule('AppModule', { imports: [StoreModule, gangway()] }), { logger: false })
  await app.listen(0, '127.0.0.1')
  const socket = await TestSocket.connect(`ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/slow`)
  const reply = socket.request('save', 'hello')
  await handlerStarted
  const closing = app.close()
  assert.equal((await reply).data, 5)
  assert.deepEqual(await socket.closed, { code: 1001, reason: 'Server shutting down' })
  await closing
  assert.deepEqual(order, ['saved hello', 'store closed'])
})

test('forRootAsync and a Nest app without an HTTP server (port option)', async (t) => {
  const ConfigModule = nestModule('ConfigModule', { providers: [{ provide: 'WS_PORT', useValue: 0 }], exports: ['WS_PORT'] })
  const ChatModule = nestModule('ChatModule', { providers: [OtherGateway] })
  const AppModule = nestModule('AppModule', {
    imports: [
      ChatModule,
      GangwayModule.forRootAsync({
        imports: [ConfigModule],
        inject: ['WS_PORT'],
        useFactory: (port: number) => ({ port, host: '127.0.0.1', logger: silentLogger, heartbeat: false }),
      }),
    ],
  })
  const context: INestApplicationContext = await NestFactory.createApplicationContext(AppModule, { logger: false })
  t.after(() => context.close())
  const host = context.get(GangwayHost)
  assert.equal(host.started, true)
  const socket = await TestSocket.connect(`ws://127.0.0.1:${host.address!.port}/other`)
  t.after(() => socket.ws.terminate())
  assert.equal((await socket.request('who')).data, 'other')

  const NoPort = nestModule('AppModule', { imports: [nestModule('ChatModule', { providers: [OtherGateway] }), gangway()] })
  const bare = await NestFactory.createApplicationContext(NoPort, { logger: false, abortOnError: false }).catch((err: unknown) => err)
  assert.ok(bare instanceof GatewayError)
  assert.match(bare.message, /no HTTP server/)
})

test('without a logger option, gangway logs through Nest\'s logger with its fields', async (t) => {
  const { nestLogger } = await import('../src/nest/index.js')
  const lines: string[][] = []
  const capture = { log: (m: string) => lines.push(['log', m]), warn: (m: string) => lines.push(['warn', m]), error: (m: string) => lines.push(['error', m]), debug: (m: string) => lines.push(['debug', m]) }
  const logger = nestLogger(capture, 'info')
  logger.debug({ connectionId: 'n-1' }, 'dropped below info')
  logger.warn({ connectionId: 'n-1', userId: 'ada', event: 'say' }, 'handler rejected')
  logger.info({}, 'plain')
  assert.deepEqual(lines, [
    ['warn', 'handler rejected {"connectionId":"n-1","userId":"ada","event":"say"}'],
    ['log', 'plain'],
  ])

  @Gateway({ path: '/fails' })
  class FailingGateway {
    @Subscribe('boom') boom() {
      throw new Error('kaput')
    }
  }
  const nestLines: string[] = []
  const app = await NestFactory.create(nestModule('AppModule', { imports: [nestModule('M', { providers: [FailingGateway] }), GangwayModule.forRoot({ heartbeat: false })] }), {
    logger: { log() {}, error() {}, warn: (m: unknown) => void nestLines.push(String(m)) },
  })
  t.after(() => app.close())
  await app.listen(0, '127.0.0.1')
  const socket = await TestSocket.connect(`ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/fails`)
  t.after(() => socket.ws.terminate())
  assert.equal((await socket.request('boom')).error?.code, 'INTERNAL')
  assert.equal(nestLines.length, 1)
  assert.match(nestLines[0]!, /^handler failed \{"connectionId":"[^"]+","event":"boom","err":\{"type":"Error","message":"kaput"/)
})
