import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeRecords, type BridgeRecord } from './bridge-records.js'
import type { BrokerLink, Delivery } from './broker-link.js'
import { createMicroservice } from './microservice.js'
import { Transport } from './transport.js'

/** A broker boundary fake: records what the service sends and lets the test deliver bodies. */
function fakeLink() {
  const sent: Array<{ inbox: string; records: BridgeRecord[] }> = []
  const acked: number[] = []
  let deliver: ((delivery: Delivery) => void) | undefined
  const link: BrokerLink = {
    kind: 'fake',
    guarantee: 'at-least-once',
    batchRequests: true,
    unavailable: () => undefined,
    connect: async () => {},
    openInbox: async () => {},
    closeInbox: async () => {},
    openBroadcast: async () => {},
    sendRequest: async () => {},
    sendToInbox: async (inbox, body) => void sent.push({ inbox, records: decodeRecords(body)! }),
    broadcast: async () => {},
    consume: async (_pattern, d) => void (deliver = d),
    close: async () => {},
  }
  const push = (records: BridgeRecord[], tag: number, redelivered = false) =>
    deliver!({ body: Buffer.from(JSON.stringify(records)), redelivered, done: () => void acked.push(tag) })
  return { link, sent, acked, push }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

test('a redelivered request this instance already answered is not run again; its answer is sent again', async () => {
  const { link, sent, acked, push } = fakeLink()
  let runs = 0
  const service = createMicroservice({ transport: new Transport(link) }).handle('p', (n: number) => (runs++, n + 1))
  await service.listen()
  const request: BridgeRecord = { t: 'q', c: '7', p: 'p', d: 1, m: {}, r: 'gw1', x: Date.now() + 10_000 }
  push([request], 1)
  await settle()
  push([request], 2, true)
  await settle()
  assert.equal(runs, 1)
  assert.equal(service.stats.duplicates, 1)
  assert.deepEqual(sent.map((s) => s.records), [[{ t: 'a', c: '7', d: 2 }], [{ t: 'a', c: '7', d: 2 }]])
  assert.deepEqual(acked, [1, 2], 'both deliveries acknowledged, each after its answer was sent')
})

test('a batch is acknowledged once every request in it finished; expired requests are dropped unrun', async () => {
  const { link, sent, acked, push } = fakeLink()
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const service = createMicroservice({ transport: new Transport(link) }).handle('p', async (n: number) => {
    if (n === 2) await gate
    return n
  })
  await service.listen()
  const now = Date.now()
  push(
    [
      { t: 'q', c: '1', p: 'p', d: 1, m: {}, r: 'gw', x: now + 10_000 },
      { t: 'q', c: '2', p: 'p', d: 2, m: {}, r: 'gw', x: now + 10_000 },
      { t: 'q', c: '3', p: 'p', d: 3, m: {}, r: 'gw', x: now - 1 },
    ],
    9,
  )
  await settle()
  assert.deepEqual(acked, [], 'not acknowledged while one request still runs')
  release()
  await settle()
  assert.deepEqual(acked, [9])
  assert.equal(service.stats.expired, 1)
  assert.deepEqual(sent.flatMap((s) => s.records.map((r) => (r as { c: string }).c)).sort(), ['1', '2'])
})

test('a reply that is not JSON becomes INTERNAL; a stray message is acknowledged and dropped', async () => {
  const { link, sent, acked, push } = fakeLink()
  const service = createMicroservice({ transport: new Transport(link) }).handle('p', () => ({ big: 10n }))
  await service.listen()
  push([{ t: 'q', c: '1', p: 'p', d: null, m: {}, r: 'gw' }], 1)
  await settle()
  assert.deepEqual(sent[0]!.records, [{ t: 'e', c: '1', e: { code: 'INTERNAL', message: 'Internal error' } }])
  assert.deepEqual(acked, [1])
})

test('a request cancelled before this instance takes it is skipped when it arrives, and counted; a running one has its signal aborted', async () => {
  const { link, sent, acked, push } = fakeLink()
  let cancel: ((body: Uint8Array) => void) | undefined
  link.openServiceBroadcast = async (receive) => void (cancel = receive)
  let runs = 0
  let aborted: unknown
  const service = createMicroservice({ transport: new Transport(link) }).handle('p', async (_n: number, ctx) => {
    runs++
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
    aborted = ctx.signal.reason
  })
  await service.listen()
  const cancelRecord = (c: string, w: 'cancelled' | 'disconnected'): BridgeRecord => ({ t: 'k', c, r: 'gw1', w })
  cancel!(Buffer.from(JSON.stringify([cancelRecord('1', 'cancelled')])))
  push([{ t: 'q', c: '1', p: 'p', d: 1, m: {}, r: 'gw1', x: Date.now() + 10_000 }], 1)
  await settle()
  assert.equal(runs, 0, 'cancelled before it arrived: never run')
  assert.deepEqual(acked, [1], 'and acknowledged')
  push([{ t: 'q', c: '2', p: 'p', d: 1, m: {}, r: 'gw1', x: Date.now() + 10_000 }], 2)
  await settle()
  assert.equal(runs, 1)
  cancel!(Buffer.from(JSON.stringify([cancelRecord('2', 'disconnected')])))
  await settle()
  assert.equal((aborted as { code?: string }).code, 'CANCELLED')
  assert.deepEqual(service.stats.cancelled, 2)
  assert.equal(sent.length, 1, 'the aborted handler still answers; the gateway discards it')
})

test('every microservice on one transport hears the cancellations (the service broadcast is opened once)', async () => {
  const { link, push } = fakeLink()
  let opened = 0
  let cancel: ((body: Uint8Array) => void) | undefined
  link.openServiceBroadcast = async (receive) => void (opened++, (cancel = receive))
  const transport = new Transport(link)
  let aborted: unknown
  const first = createMicroservice({ transport }).handle('a', () => 1)
  const second = createMicroservice({ transport }).handle('b', async (_n: number, ctx) => {
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
    aborted = ctx.signal.reason
  })
  await first.listen()
  await second.listen() // the fake link delivers to the last consumer: the second service
  assert.equal(opened, 1)
  push([{ t: 'q', c: '9', p: 'b', d: 1, m: {}, r: 'gw1', x: Date.now() + 10_000 }], 1)
  await settle()
  cancel!(Buffer.from(JSON.stringify([{ t: 'k', c: '9', r: 'gw1', w: 'cancelled' }])))
  await settle()
  assert.equal((aborted as { code?: string }).code, 'CANCELLED', 'the second service, not only the first, heard it')
  assert.deepEqual([first.stats.cancelled, second.stats.cancelled], [0, 1])
})
