import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway, WsError, type Client, type HandshakeContext } from '../src/index.js'
import { rawUpgrade } from './helpers/raw-upgrade.js'
import { startGateway, sleep } from './helpers/start-gateway.js'

function tokenGuard(handshake: HandshakeContext) {
  const header = handshake.headers.authorization
  if (header === undefined) return undefined // no credentials → 401
  if (header === 'Bearer banned') return false // → 403
  if (header === 'Bearer expired') throw new WsError('UNAUTHORIZED', 'Token expired')
  if (header === 'Bearer crash') throw new Error('auth service down')
  return { id: header.slice('Bearer '.length), via: 'header' }
}

const gateway = defineGateway<{ id: string; via: string }>({ path: '/ws', connectionGuards: [tokenGuard] }).subscribe(
  'whoami',
  (_data, client) => ({ user: client.user, userId: client.userId }),
)

test('a guard that finds no credentials answers 401 and no socket is upgraded', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const response = await rawUpgrade(gw.port, '/ws')
  assert.equal(response.status, 401)
  assert.equal(response.upgraded, false)
  assert.match(response.head, /^HTTP\/1\.1 401 Unauthorized/)
  assert.equal(gw.app.connectionCount, 0)
})

test('false answers 403, WsError(UNAUTHORIZED) 401, an unexpected throw 500', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  assert.equal((await rawUpgrade(gw.port, '/ws', { Authorization: 'Bearer banned' })).status, 403)
  assert.equal((await rawUpgrade(gw.port, '/ws', { Authorization: 'Bearer expired' })).status, 401)
  const crash = await rawUpgrade(gw.port, '/ws', { Authorization: 'Bearer crash' })
  assert.equal(crash.status, 500)
  assert.doesNotMatch(crash.head, /auth service/)
  assert.equal(gw.app.connectionCount, 0)
})

test('the principal a guard returns is client.user, and its id is client.userId', async (t) => {
  const gw = await startGateway(t, { gateways: [gateway] })
  const socket = await gw.connect('/ws', { headers: { Authorization: 'Bearer ada' } })
  assert.deepEqual((await socket.request('whoami')).data, { user: { id: 'ada', via: 'header' }, userId: 'ada' })
})

test('guards read query and cookies; global guards run before the gateway ones', async (t) => {
  const order: string[] = []
  const fromCookie = defineGateway({
    path: '/ws',
    connectionGuards: [
      (h) => {
        order.push('gateway')
        return h.cookies.session === 's3cr3t' ? { id: h.query.get('as') ?? 'anon' } : null
      },
    ],
  }).subscribe('whoami', (_d, client: Client) => client.userId)
  const gw = await startGateway(t, {
    gateways: [fromCookie],
    connectionGuards: [
      () => {
        order.push('global')
        return true
      },
    ],
  })
  assert.equal((await rawUpgrade(gw.port, '/ws?as=bob', { Cookie: 'theme=dark; session=nope' })).status, 401)
  const socket = await gw.connect('/ws?as=bob', { headers: { Cookie: 'theme=dark; session=s3cr3t' } })
  assert.equal((await socket.request('whoami')).data, 'bob')
  assert.deepEqual(order, ['global', 'gateway', 'global', 'gateway'])
})

test('a guard that hangs is cut off with 503 after handshakeTimeoutMs', async (t) => {
  const hanging = defineGateway({ path: '/ws', connectionGuards: [() => new Promise(() => {})] })
  const gw = await startGateway(t, { gateways: [hanging], handshakeTimeoutMs: 100 })
  assert.equal((await rawUpgrade(gw.port, '/ws')).status, 503)
})

test('origin allowlist: exact matches only, 403 otherwise, before any guard runs', async (t) => {
  let guardRuns = 0
  const open = defineGateway({ path: '/ws', connectionGuards: [() => (guardRuns++, true)] })
  const gw = await startGateway(t, { gateways: [open], origins: ['https://app.example.com'] })
  const status = async (origin?: string) => (await rawUpgrade(gw.port, '/ws', origin === undefined ? {} : { Origin: origin })).status
  assert.equal(await status('https://app.example.com'), 101)
  assert.equal(await status('HTTPS://APP.EXAMPLE.COM'), 101)
  for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'http://app.example.com', 'https://app.example.com:8443', 'null']) {
    assert.equal(await status(origin), 403, origin)
  }
  assert.equal(await status(undefined), 101, 'non-browser clients send no Origin')
  assert.equal(guardRuns, 3)
})

test('the default origin policy is same-origin; a missing Origin can be refused', async (t) => {
  const open = defineGateway({ path: '/ws' })
  const gw = await startGateway(t, { gateways: [open], allowMissingOrigin: false })
  const host = `127.0.0.1:${gw.port}`
  assert.equal((await rawUpgrade(gw.port, '/ws', { Origin: `http://${host}` })).status, 101)
  assert.equal((await rawUpgrade(gw.port, '/ws', { Origin: 'http://localhost:1' })).status, 403)
  assert.equal((await rawUpgrade(gw.port, '/ws')).status, 403)
  await sleep(10)
})
