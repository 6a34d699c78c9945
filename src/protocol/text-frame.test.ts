import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRequire } from 'node:module'
import type { Writable } from 'node:stream'
import { encodeOutboundFrame, encodeTextFrame, encodeTextFrameFromBytes, textFramePayload } from './text-frame.js'

// ws's own frame parser (not in its type declarations), the strictest judge of what we write.
const Receiver = (createRequire(import.meta.url)('ws') as { Receiver: new (options: { isServer: boolean }) => Writable }).Receiver as new (options: { isServer: boolean }) => Writable

function decode(frame: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false })
    receiver.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? reject(new Error('binary')) : resolve(data.toString())))
    receiver.on('error', reject)
    receiver.write(frame)
  })
}

for (const length of [0, 1, 125, 126, 65535, 65536, 200_000]) {
  test(`a ${length}-byte payload is a valid unmasked text frame`, async () => {
    const json = JSON.stringify('x'.repeat(Math.max(0, length - 2)))
    const frame = encodeTextFrame(json)
    assert.equal(await decode(frame), json)
    assert.equal(textFramePayload(frame).toString(), json)
    assert.deepEqual(encodeTextFrameFromBytes(Buffer.from(json)), frame)
  })
}

test('multi-byte characters are framed by byte length', async () => {
  const json = JSON.stringify({ text: 'héllo wörld — 你好 🎉'.repeat(20) })
  assert.equal(await decode(encodeTextFrame(json)), json)
})

for (const length of [0, 1, 125, 126, 65535, 65536]) {
  test(`an ASCII ${length}-byte payload frames as a latin1 string with the same bytes`, async () => {
    const json = JSON.stringify('x'.repeat(Math.max(0, length - 2)))
    const frame = encodeOutboundFrame(json)
    const bytes = typeof frame === 'string' ? Buffer.from(frame, 'latin1') : frame
    if (length < 65536) assert.equal(typeof frame, 'string')
    assert.equal(frame.length, bytes.length)
    assert.deepEqual(bytes, encodeTextFrame(json))
    assert.equal(await decode(bytes), json)
  })
}

test('a payload with any non-ASCII character frames as a buffer', async () => {
  for (const json of [JSON.stringify('é'), JSON.stringify('\u0080'), JSON.stringify('🎉'), '"\ud800"']) {
    const frame = encodeOutboundFrame(json)
    assert.ok(Buffer.isBuffer(frame), json)
    assert.deepEqual(frame, encodeTextFrame(json))
  }
})
