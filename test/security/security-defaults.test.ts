// Guarantees: credentials are read from a header, a cookie or a subprotocol (never echoed, never
// logged); expired credentials stop being honoured; nothing a user's guard, hook or handler
// throws reaches the wire; a connection reaches only the handlers of the gateway it upgraded into.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import WebSocket from 'ws'
import { bearerToken, defineGateway, WsError, type Client, type HandshakeContext } from '../../src/index.js'
import { captureLogger } from '../helpers/capture-logger.js'
import { rawUpgrade } from '../helpers/raw-upgrade.js'
import { eventually, sleep, startGateway } from '../helpers/start-gateway.js'

const TOKENS: Record<string, string> = { 'tok-header-7f3a': 'ada', 'tok-cookie-91bd': 'bob', 'tok-proto-c0de': 'cy', 'tok-query-5e5e': 'dee' }
const auth = (handshake: HandshakeContext) => {
  const token = bearerToken(handshake, { cookie: 'session', query: 'access_token' })
  if (token === undefined) return null // 401
  const id = TOKENS[token]
  if (id === undefined) throw new WsError('UNAUTHORIZED', 'Unknown token')
  return { id }
}
const whoami = defineGateway({ path: '/ws', connectionGuards: [auth] }).subscribe('whoami', (_d, client: Client) => client.userId)

test('a bearer token is read from the Authorization header, a cookie, a bearer.<token> subprotocol or (discouraged) the query', async (t) => {
  const logger = captureLogger()
  const gw = await startGateway(t, { gateways: [whoami], logger })
  const viaHeader = await gw.connect('/ws', { headers: { Authorization: 'Bearer tok-header-7f3a' } })
  assert.equal((await viaHeader.request('whoami')).data, 'ada')
  const viaCookie = await gw.connect('/ws', { headers: { Cookie: 'theme=dark; session=tok-cookie-91bd' } })
  assert.equal((await viaCookie.request('whoami')).data, 'bob')
  // What a browser does: new WebSocket(url, ['gangway.v1', 'bearer.' + token]).
  const browserLike = new WebSocket(gw.url(), ['gangway.v1', 'bearer.tok-proto-c0de'])
  t.after(() => browserLike.terminate())
  await once(browserLike, 'open')
  assert.equal(browserLike.protocol, 'gangway.v1', 'the server echoes gangway.v1, never the token')
  browserLike.send(JSON.stringify({ event: 'whoami', id: 1 }))
  const [raw] = (await once(browserLike, 'message')) as [Buffer]
  assert.equal(JSON.parse(raw.toString()).data, 'cy')
  const tokenOnly = await rawUpgrade(gw.port, '/ws', { 'Sec-WebSocket-Protocol': 'bearer.tok-proto-c0de' })
  assert.equal(tokenOnly.status, 101)
  assert.doesNotMatch(tokenOnly.head, /tok-proto-c0de|Sec-WebSocket-Protocol/i)
  const viaQuery = await gw.connect('/ws?access_token=tok-query-5e5e')
  assert.equal((await viaQuery.request('whoami')).data, 'dee')

  assert.equal((await rawUpgrade(gw.port, '/ws')).status, 401)
  assert.equal((await rawUpgrade(gw.port, '/ws?access_token=tok-forged-0000', { Cookie: 'session=tok-forged-1111' })).status, 401)
  const logs = logger.text()
  assert.ok(logger.entries.length > 0, 'rejections were logged')
  for (const secret of [...Object.keys(TOKENS), 'tok-forged']) assert.ok(!logs.includes(secret), `a token (${secret}) reached the log`)
  assert.doesNotMatch(logs, /access_token/, 'the query string is never logged')
})

test("credential expiry, policy 'close' (the default): messages are answered until the JWT exp, then the socket closes with 4401", async (t) => {
  // Two seconds from the handshake: time for the first request even on a loaded machine.
  const expiring = defineGateway({ path: '/ws', connectionGuards: [() => ({ id: 'ada', exp: Date.now() / 1000 + 2 })] }).subscribe('echo', (d) => d)
  const gw = await startGateway(t, { gateways: [expiring] })
  const socket = await gw.connect()
  assert.equal((await socket.request('echo', 'before')).data, 'before')
  const closed = await socket.closed
  assert.deepEqual(closed, { code: 4401, reason: 'Session expired' })
  await eventually(() => gw.app.connectionCount === 0, 2000, 'removed')
})

test('credentials that are already expired at the handshake get 401; sessionExpiry: false ignores exp', async (t) => {
  const stale = defineGateway({ path: '/ws', connectionGuards: [() => ({ id: 'ada', exp: Date.now() / 1000 - 1 })] }).subscribe('echo', (d) => d)
  const strict = await startGateway(t, { gateways: [stale] })
  assert.equal((await rawUpgrade(strict.port, '/ws')).status, 401)
  const lax = await startGateway(t, { gateways: [stale], sessionExpiry: false })
  const socket = await lax.connect()
  assert.equal((await socket.request('echo', 1)).data, 1)
})

test("credential expiry, policy 'reject': after exp every message gets UNAUTHORIZED on an open socket; refreshing exp lets messages through again", async (t) => {
  const principal = { id: 'ada', exp: 0 }
  let handled = 0
  // The deadline starts at the handshake (not at the test's start), two seconds ahead.
  const guard = () => ((principal.exp = Date.now() / 1000 + 2), principal)
  const gateway = defineGateway({ path: '/ws', connectionGuards: [guard] }).subscribe('echo', (d) => (handled++, d))
  const gw = await startGateway(t, { gateways: [gateway], sessionExpiry: { onExpiry: 'reject' } })
  const socket = await gw.connect()
  assert.equal((await socket.request('echo', 1)).data, 1)
  await sleep(principal.exp * 1000 - Date.now() + 20) // past the deadline, whatever the set-up took
  const denied = await socket.request('echo', 2)
  assert.deepEqual(denied.error, { code: 'UNAUTHORIZED', message: 'Session expired' })
  assert.equal(handled, 1, 'the handler never ran after expiry')
  assert.equal(await socket.quiet(100, (f) => f.event === 'close'), true)
  principal.exp = Date.now() / 1000 + 60 // e.g. a `refresh` handler verified a new token
  assert.equal((await socket.request('echo', 3)).data, 3)
})

test("a custom expiresAt reads any principal shape; 'close' re-reads it at the instant, so a refreshed session stays open", async (t) => {
  const session = { user: 'ada', validUntil: new Date(0) }
  let firstDeadline = 0
  let refreshedUntil = 0
  const reads: number[] = []
  const guard = () => {
    firstDeadline = Date.now() + 1000
    session.validUntil = new Date(firstDeadline)
    return session
  }
  const gateway = defineGateway({ path: '/ws', connectionGuards: [guard] }).subscribe('refresh', () => {
    refreshedUntil = Date.now() + 1500
    session.validUntil = new Date(refreshedUntil)
    return 'refreshed'
  })
  const expiresAt = (user: unknown) => (reads.push(Date.now()), (user as typeof session).validUntil)
  const gw = await startGateway(t, { gateways: [gateway], sessionExpiry: { expiresAt } })
  const socket = await gw.connect()
  assert.equal((await socket.request('refresh')).data, 'refreshed')
  // Wait for the server's own re-read at the first deadline: the moment the test is about.
  await eventually(() => reads.some((at) => at >= firstDeadline), 5000, 'the re-read at the first deadline')
  assert.equal(socket.ws.readyState, WebSocket.OPEN, 'still open after the first deadline')
  assert.equal((await socket.closed).code, 4401)
  assert.ok(Date.now() >= refreshedUntil, 'closed at the refreshed deadline, not the first one')
})

test('nothing a guard, hook, schema or handler throws reaches the wire: only a status, INTERNAL or "Internal error"', async (t) => {
  const secret = 'postgres://admin:hunter2@db.internal/prod'
  const logger = captureLogger()
  const boom = () => {
    throw new Error(secret)
  }
  const failingGuard = defineGateway({ path: '/guard', connectionGuards: [boom] })
  const failingHook = defineGateway({ path: '/hook' }).onConnect(async () => boom())
  const failingMessageGuards = defineGateway({ path: '/ws' })
    .subscribe('sync-guard', { guards: [() => boom()] }, () => 'never')
    .subscribe('async-guard', { guards: [async () => boom()] }, () => 'never')
    .subscribe('schema', { schema: { '~standard': { version: 1, vendor: 'evil', validate: () => boom() } } }, () => 'never')
    .subscribe('unserializable', () => ({ big: 10n }))
    .subscribe('rejects', () => Promise.reject(new TypeError(secret)))
    .subscribe('throws-string', () => {
      throw secret
    })
  const gw = await startGateway(t, {
    gateways: [failingGuard, failingHook, failingMessageGuards, defineGateway({ path: '/ctx' })],
    logger,
    context: (h) => {
      if (h.path === '/ctx') boom()
      return {}
    },
  })
  const guarded = await rawUpgrade(gw.port, '/guard')
  assert.equal(guarded.status, 500)
  assert.doesNotMatch(guarded.head, /hunter2/)
  const captured = await rawUpgrade(gw.port, '/ctx')
  assert.equal(captured.status, 500)
  assert.doesNotMatch(captured.head, /hunter2/)
  const hooked = await gw.connect('/hook')
  assert.deepEqual(await hooked.closed, { code: 1011, reason: 'Internal error' })
  const socket = await gw.connect('/ws')
  for (const event of ['sync-guard', 'async-guard', 'schema', 'unserializable', 'rejects', 'throws-string']) {
    const answer = await socket.request(event)
    assert.deepEqual(answer.error, { code: 'INTERNAL', message: 'Internal error' }, event)
  }
  assert.ok(!JSON.stringify(socket.frames).includes('hunter2'))
  assert.match(logger.text(), /hunter2/, 'the details are in the server log')
})

test('a connection reaches only the handlers of the gateway it upgraded into, whatever the path or event spelling', async (t) => {
  let purged = 0
  const adminOnly = (h: HandshakeContext) => (h.headers.authorization === 'Bearer admin' ? { id: 'root' } : null)
  const publicGw = defineGateway({ path: '/public' }).subscribe('hello', () => 'hi')
  const adminGw = defineGateway({ path: '/admin', namespace: 'admin', connectionGuards: [adminOnly] }).subscribe('purge', () => (purged++, 'purged'))
  const gw = await startGateway(t, { gateways: [publicGw, adminGw] })
  const socket = await gw.connect('/public')
  for (const event of ['purge', 'admin:purge', '/admin/purge', 'admin/purge', 'admin.purge', ' purge', 'PURGE', '__proto__', 'constructor']) {
    assert.equal((await socket.request(event)).error?.code, 'UNKNOWN_EVENT', event)
  }
  // Every spelling of the admin path either runs the admin guard (401) or is not a gateway (404).
  for (const path of ['/admin', '/admin/', '/ADMIN', '/public/../admin', '//admin', '/admin%2f', '/admin?namespace=admin', '/public/admin', '/admin;x']) {
    const { status } = await rawUpgrade(gw.port, path)
    assert.ok(status === 401 || status === 404, `${path} → ${status}`)
  }
  gw.app.server('admin').emit('secret', 1)
  assert.equal(await socket.quiet(100, (f) => f.event === 'secret'), true)
  assert.equal(purged, 0)
  const admin = await gw.connect('/admin', { headers: { Authorization: 'Bearer admin' } })
  assert.equal((await admin.request('purge')).data, 'purged')
  assert.equal((await admin.request('hello')).error?.code, 'UNKNOWN_EVENT')
})
