import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { connect, headers } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { silentLogger } from '../src/index.js'
import { natsHistoryStore } from '../src/nats/index.js'
import { NATS_URL, requireBroker } from './helpers/cluster-brokers.js'
import { eventually } from './helpers/start-gateway.js'

// A NATS server before 2.12 republishes a stored message after releasing the stream's lock, so
// two gateway nodes publishing at once can see their messages republished out of sequence order
// (seen ~30 times per 20 000 such publishes on nats-server 2.9). A replay reads stream order: the
// live order must be the same, or a resumed client sees messages in another order than the rest.
// The republished frames are forged here, out of order, to make that instant happen every time.

test('nats: republished messages that arrive out of stream order are delivered in offset order', async (t) => {
  if (!(await requireBroker(t, 'NATS', NATS_URL))) return
  const prefix = `hord${randomBytes(4).toString('hex')}`
  const offsets: number[] = []
  const store = natsHistoryStore(NATS_URL, { prefix, storage: 'memory' })
  const nc = await connect({ servers: NATS_URL })
  t.after(async () => {
    await store.close()
    await jetstreamManager(nc).then((jsm) => jsm.streams.delete(`${prefix}_history`)).catch(() => false)
    await nc.close()
  })
  await store.start({ entry: (_namespace, room, entry) => void (room === 'r' && offsets.push(entry.offset)), logger: silentLogger })
  await store.subscribe('/', 'r')

  // What the server sends when publishes stored as 10, 11, 12, 13 are republished as 10, 13, 12, 11.
  const republish = (seq: number, previous: number) => {
    const h = headers()
    h.set('Nats-Sequence', String(seq))
    h.set('Nats-Last-Sequence', String(previous))
    nc.publish(`${prefix}.hlive.%2F.r`, `${Date.now()}\n[[],[]]\n"msg"\n{"n":${seq}}`, { headers: h })
  }
  republish(10, 0)
  republish(13, 12)
  republish(12, 11)
  republish(11, 10)
  republish(14, 13)
  await nc.flush()
  await eventually(() => offsets.length === 5, 3000, 'the republished messages')
  assert.deepEqual(offsets, [10, 11, 12, 13, 14])
})
