import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineGateway } from '../src/index.js'
import { rawUpgrade } from './helpers/raw-upgrade.js'
import { startGateway } from './helpers/start-gateway.js'

// Replies and broadcasts are framed once by gangway and written to the socket as they are,
// bypassing ws's sender (protocol/text-frame.ts). That only holds while no extension transforms
// frames: if permessage-deflate were ever negotiated, these tests fail.

const echo = defineGateway({ path: '/ws' }).subscribe('echo', (data: unknown) => data)

test('a client offering permessage-deflate gets no extension, and pre-framed replies still arrive', async (t) => {
  const gateway = await startGateway(t, { gateways: [echo] })
  // ws's client offers permessage-deflate by default: the server must decline it.
  const socket = await gateway.connect('/ws', { perMessageDeflate: { threshold: 0 } })
  assert.equal(socket.ws.extensions, '', 'an extension was negotiated')
  const reply = await socket.request('echo', 'x'.repeat(2048))
  assert.equal(reply.data, 'x'.repeat(2048))
})

test('the upgrade response never carries Sec-WebSocket-Extensions, whatever the client offers', async (t) => {
  const gateway = await startGateway(t, { gateways: [echo] })
  const offered = await rawUpgrade(gateway.port, '/ws', { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' })
  assert.equal(offered.status, 101)
  assert.doesNotMatch(offered.head, /sec-websocket-extensions/i)
})
