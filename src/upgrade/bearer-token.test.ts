import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { test } from 'node:test'
import { bearerToken } from './bearer-token.js'
import { createHandshakeContext } from './handshake-context.js'

function handshake(headers: Record<string, string>, query = '') {
  const request = { headers, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage
  return createHandshakeContext(request, '/ws', query, { path: '/ws', namespace: '/' })
}

test('reads Authorization: Bearer, then a named cookie, then a bearer.<token> subprotocol', () => {
  assert.equal(bearerToken(handshake({ authorization: 'Bearer abc.def-ghi' })), 'abc.def-ghi')
  assert.equal(bearerToken(handshake({ authorization: 'bearer   xyz' })), 'xyz')
  assert.equal(bearerToken(handshake({ cookie: 'theme=dark; session=s3cr3t' }), { cookie: 'session' }), 's3cr3t')
  assert.equal(bearerToken(handshake({ 'sec-websocket-protocol': 'gangway.v1, bearer.eyJh.eyJz.sig' })), 'eyJh.eyJz.sig')
  const all = handshake({ authorization: 'Bearer fromHeader', cookie: 'session=fromCookie', 'sec-websocket-protocol': 'bearer.fromProtocol' })
  assert.equal(bearerToken(all, { cookie: 'session' }), 'fromHeader')
  assert.equal(bearerToken(all, { header: false, cookie: 'session' }), 'fromCookie')
  assert.equal(bearerToken(all, { header: false }), 'fromProtocol')
})

test('ignores other schemes and empty values; the query string only when asked', () => {
  assert.equal(bearerToken(handshake({ authorization: 'Basic dXNlcjpwYXNz' })), undefined)
  assert.equal(bearerToken(handshake({ authorization: 'Bearer' })), undefined)
  assert.equal(bearerToken(handshake({ 'sec-websocket-protocol': 'bearer., gangway.v1' })), undefined)
  assert.equal(bearerToken(handshake({}, 'token=q1')), undefined)
  assert.equal(bearerToken(handshake({}, 'token=q1'), { query: 'token' }), 'q1')
  assert.equal(bearerToken(handshake({ 'x-api-key': 'Bearer k' }), { header: 'X-Api-Key' }), 'k')
})
