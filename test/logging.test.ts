import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { pino } from 'pino'
import { defineGateway, WsError, type HandshakeContext } from '../src/index.js'
import { rawUpgrade } from './helpers/raw-upgrade.js'
import { startGateway } from './helpers/start-gateway.js'

const TOKEN = 'tok-SECRET-1f3a9c'
const COOKIE = 'ses-SECRET-77b2d0'
const QUERY_TOKEN = 'qry-SECRET-c0ffee'

/** A real pino logger at debug level writing JSON lines into memory. */
function capturedPino() {
  const lines: string[] = []
  let partial = ''
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      partial += chunk.toString()
      let newline: number
      while ((newline = partial.indexOf('\n')) !== -1) {
        lines.push(partial.slice(0, newline))
        partial = partial.slice(newline + 1)
      }
      callback()
    },
  })
  return { logger: pino({ level: 'debug' }, stream), lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) }
}

/** An error as an HTTP client throws it: the failed request rides along, headers and all. */
function leakyError(message: string, handshake?: HandshakeContext): Error {
  return Object.assign(new Error(message), {
    config: { headers: { Authorization: `Bearer ${TOKEN}`, Cookie: `session=${COOKIE}` } },
    request: handshake?.request,
    url: `/ws?token=${QUERY_TOKEN}`,
  })
}

test('per-connection lines carry connection id, user id and event; tokens and cookies never reach the log', async (t) => {
  const { logger, lines, records } = capturedPino()
  const auth = (handshake: HandshakeContext) => {
    const header = handshake.headers.authorization
    const fromQuery = handshake.query.get('token')
    const session = handshake.cookies.session
    if (handshake.query.get('explode') === '1') throw leakyError('auth service unreachable', handshake)
    if (header === `Bearer ${TOKEN}` && fromQuery === QUERY_TOKEN && session === COOKIE) return { id: 'user-42' }
    return null
  }
  const gateway = defineGateway({ path: '/ws', connectionGuards: [auth] })
    .subscribe('echo', (data: unknown) => data)
    .subscribe('boom', () => {
      throw leakyError('upstream said 500')
    })
    .subscribe('refuse', () => {
      throw new WsError('NOT_NOW', 'Try later')
    })
    .subscribe('admin', { guards: [() => false] }, () => 'never')
    .onDisconnect(() => {
      throw leakyError('cleanup failed')
    })
  const started = await startGateway(t, { gateways: [gateway], logger, heartbeat: false })

  const headers = { authorization: `Bearer ${TOKEN}`, cookie: `theme=dark; session=${COOKIE}` }
  const socket = await started.connect(`/ws?token=${QUERY_TOKEN}`, { headers })
  assert.equal((await socket.request('echo', 'hi')).data, 'hi')
  assert.equal((await socket.request('boom')).error?.code, 'INTERNAL')
  assert.equal((await socket.request('refuse')).error?.code, 'NOT_NOW')
  assert.equal((await socket.request('admin')).error?.code, 'FORBIDDEN')
  await socket.close(1000)
  // A guard that throws with the request attached: 500, logged without the request.
  assert.equal((await rawUpgrade(started.port, `/ws?explode=1&token=${QUERY_TOKEN}`, headers)).status, 500)
  await started.app.close()

  const all = lines.join('\n')
  for (const secret of [TOKEN, COOKIE, QUERY_TOKEN]) assert.equal(all.includes(secret), false, `${secret} was logged:\n${all}`)
  assert.equal(/authorization|cookie/i.test(all), false, `a header name was logged:\n${all}`)

  const entries = records()
  const byMsg = (msg: string) => entries.find((e) => e.msg === msg) ?? assert.fail(`no "${msg}" line in:\n${all}`)
  const perConnection = entries.filter((e) => 'connectionId' in e)
  assert.ok(perConnection.length >= 6, all)
  for (const entry of perConnection) {
    assert.match(String(entry.connectionId), /^[A-Za-z0-9_.]+-[0-9a-z]+$/)
    assert.equal(entry.userId, 'user-42', `no user on ${JSON.stringify(entry)}`)
  }
  assert.equal(byMsg('handler failed').event, 'boom')
  assert.deepEqual(Object.keys(byMsg('handler failed').err as object).sort(), ['message', 'stack', 'type'])
  assert.equal((byMsg('handler failed').err as { message: string }).message, 'upstream said 500')
  assert.equal(byMsg('handler rejected: Try later').event, 'refuse')
  assert.equal(byMsg('message guard denied').event, 'admin')
  assert.equal(byMsg('onDisconnect hook failed').hook, 'onDisconnect')
  assert.equal(byMsg('connection opened').path, '/ws')
  assert.equal(byMsg('connection closed').code, 1000)
  assert.equal((byMsg('connection guard failed').err as { message: string }).message, 'auth service unreachable')
})
