import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type { BrokerState, ClusterBus, ClusterBusEvents } from '../index.js'

/** What the conformance suite needs to test a bus. */
export interface ClusterBusConformanceOptions {
  /** A new bus on the broker under test (not started). Each test creates the buses it needs and closes them. */
  createBus(): ClusterBus | Promise<ClusterBus>
  /**
   * Makes the broker unavailable and returns a function that brings it back
   * (a private broker process killed and restarted, say). Without it the
   * outage tests are skipped.
   */
  interrupt?(): Promise<() => Promise<void>>
  /** How long to wait for a message or a state. @default 5000 */
  timeoutMs?: number
}

/** A bus under test, with what it received. */
class Recorder implements ClusterBusEvents {
  readonly messages: Array<{ channel: string; payload: Buffer }> = []
  readonly states: BrokerState[] = []
  #waiters: Array<() => void> = []

  message(channel: string, payload: Uint8Array): void {
    // The payload is only valid during the call: keep a copy.
    this.messages.push({ channel, payload: Buffer.from(payload) })
    this.#wake()
  }

  state(state: BrokerState): void {
    this.states.push(state)
    this.#wake()
  }

  on(channel: string): Buffer[] {
    return this.messages.filter((m) => m.channel === channel).map((m) => m.payload)
  }

  async until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50))
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter()
  }
}

/**
 * Registers the tests every `ClusterBus` must pass (node:test). The same
 * suite runs against gangway's in-memory bus, Redis and NATS; run it against
 * a bus of your own the same way.
 *
 * @example
 * import { clusterBusConformance } from 'gangway-ws/testing'
 * clusterBusConformance('my bus', { createBus: () => myBus(url) })
 */
export function clusterBusConformance(name: string, options: ClusterBusConformanceOptions): void {
  const timeoutMs = options.timeoutMs ?? 5000
  let unique = 0
  const channel = (label: string) => `conformance.${process.pid}.${Date.now().toString(36)}.${unique++}.${label}`

  describe(`cluster bus conformance: ${name}`, () => {
    const open = new Set<ClusterBus>()
    after(async () => {
      await Promise.all([...open].map((bus) => bus.close()))
    })

    async function started(): Promise<{ bus: ClusterBus; seen: Recorder }> {
      const bus = await options.createBus()
      open.add(bus)
      const seen = new Recorder()
      await bus.start(seen)
      assert.equal(bus.state, 'connected', 'start() resolves once connected')
      return { bus, seen }
    }

    async function close(...buses: ClusterBus[]): Promise<void> {
      for (const bus of buses) {
        await bus.close()
        open.delete(bus)
      }
    }

    test('delivers published bytes to every subscriber, byte for byte', async () => {
      const [a, b, c] = [await started(), await started(), await started()]
      const ch = channel('bytes')
      await Promise.all([b.bus.subscribe(ch), c.bus.subscribe(ch)])
      const payloads = [Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0]), Buffer.from('{"event":"é","data":"✓ 😀"}'), Buffer.alloc(256 * 1024, 0x61)]
      for (const payload of payloads) assert.equal(a.bus.publish(ch, payload), true)
      for (const { seen } of [b, c]) {
        await seen.until('three messages', () => seen.on(ch).length >= payloads.length, timeoutMs)
        assert.deepEqual(seen.on(ch), payloads)
      }
      await close(a.bus, b.bus, c.bus)
    })

    test('subscribe() resolves once messages published afterwards arrive', async () => {
      const [a, b] = [await started(), await started()]
      for (let i = 0; i < 5; i++) {
        const ch = channel(`live${i}`)
        await b.bus.subscribe(ch)
        a.bus.publish(ch, Buffer.from([i]))
        await b.seen.until(`message on ${ch}`, () => b.seen.on(ch).length === 1, timeoutMs)
      }
      await close(a.bus, b.bus)
    })

    test('delivers nothing on channels it never subscribed to, and stops after unsubscribe', async () => {
      const [a, b] = [await started(), await started()]
      const [kept, dropped, never] = [channel('kept'), channel('dropped'), channel('never')]
      await Promise.all([b.bus.subscribe(kept), b.bus.subscribe(dropped)])
      a.bus.publish(dropped, Buffer.from('before'))
      await b.seen.until('the message before unsubscribe', () => b.seen.on(dropped).length === 1, timeoutMs)
      await b.bus.unsubscribe(dropped)
      await b.bus.unsubscribe(dropped) // idempotent
      a.bus.publish(dropped, Buffer.from('after'))
      a.bus.publish(never, Buffer.from('never'))
      a.bus.publish(kept, Buffer.from('barrier'))
      // One publisher's messages arrive in order: once the barrier is in, the others would have been too.
      await b.seen.until('the barrier', () => b.seen.on(kept).length === 1, timeoutMs)
      assert.deepEqual(b.seen.on(dropped).map(String), ['before'])
      assert.equal(b.seen.on(never).length, 0)
      await close(a.bus, b.bus)
    })

    test('subscribing twice delivers each message once; unsubscribe then subscribe again works', async () => {
      const [a, b] = [await started(), await started()]
      const ch = channel('twice')
      await Promise.all([b.bus.subscribe(ch), b.bus.subscribe(ch)])
      a.bus.publish(ch, Buffer.from('1'))
      await b.seen.until('the first message', () => b.seen.on(ch).length >= 1, timeoutMs)
      await b.bus.unsubscribe(ch)
      await b.bus.subscribe(ch)
      a.bus.publish(ch, Buffer.from('2'))
      await b.seen.until('the second message', () => b.seen.on(ch).length >= 2, timeoutMs)
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.deepEqual(b.seen.on(ch).map(String), ['1', '2'], 'each message exactly once')
      await close(a.bus, b.bus)
    })

    test("keeps one publisher's order on a channel", async () => {
      const [a, b] = [await started(), await started()]
      const ch = channel('order')
      await b.bus.subscribe(ch)
      const count = 2000
      for (let i = 0; i < count; i++) {
        const payload = Buffer.allocUnsafe(4)
        payload.writeUInt32BE(i)
        assert.equal(a.bus.publish(ch, payload), true)
      }
      await b.seen.until(`${count} messages`, () => b.seen.on(ch).length >= count, timeoutMs)
      assert.deepEqual(
        b.seen.on(ch).map((p) => p.readUInt32BE(0)),
        Array.from({ length: count }, (_, i) => i),
      )
      await close(a.bus, b.bus)
    })

    test('accepts the channel names the cluster protocol uses', async () => {
      const [a, b] = [await started(), await started()]
      const names = [
        channel("room.%2Fchat.a%20b~!'()-_"),
        channel(`room.%2F.${'%C3%A9'.repeat(120)}`),
        channel('node.n0de_1'),
        channel('user.%2F.%%d800'),
      ]
      for (const name of names) await b.bus.subscribe(name)
      for (const name of names) a.bus.publish(name, Buffer.from(name))
      await b.seen.until('a message per channel', () => names.every((name) => b.seen.on(name).length === 1), timeoutMs)
      await close(a.bus, b.bus)
    })

    test('ping() answers while connected; close() is idempotent and ends publishing', async () => {
      const { bus, seen } = await started()
      await bus.ping()
      await bus.close()
      await bus.close()
      open.delete(bus)
      assert.equal(bus.state, 'closed')
      assert.equal(bus.publish(channel('closed'), Buffer.from('x')), false)
      await seen.until('the closed state', () => seen.states.includes('closed'), timeoutMs)
    })

    test('reports and survives a broker outage: publishes fail fast, subscriptions come back', { skip: options.interrupt === undefined && 'no interrupt() given' }, async () => {
      const [a, b] = [await started(), await started()]
      const ch = channel('outage')
      await b.bus.subscribe(ch)
      const restore = await options.interrupt!()
      try {
        await a.seen.until('a state other than connected', () => a.bus.state !== 'connected', timeoutMs * 2)
        await b.seen.until('a state other than connected', () => b.bus.state !== 'connected', timeoutMs * 2)
        assert.equal(a.bus.publish(ch, Buffer.from('lost')), false, 'publish returns false while the broker is away (nothing queued)')
        const late = channel('while-down')
        const lateSubscribed = b.bus.subscribe(late)
        await restore()
        await a.seen.until('connected again', () => a.bus.state === 'connected', timeoutMs * 2)
        await b.seen.until('connected again', () => b.bus.state === 'connected', timeoutMs * 2)
        await lateSubscribed
        // Subscriptions are restored by the bus itself: a publisher keeps trying until one message gets through.
        await b.seen.until(
          'delivery on the old channel',
          () => (a.bus.publish(ch, Buffer.from('back')), b.seen.on(ch).some((m) => String(m) === 'back')),
          timeoutMs,
        )
        a.bus.publish(late, Buffer.from('late'))
        await b.seen.until('delivery on a channel subscribed while down', () => b.seen.on(late).length === 1, timeoutMs)
        assert.ok(!b.seen.on(ch).some((m) => String(m) === 'lost'))
      } finally {
        await close(a.bus, b.bus)
      }
    })
  })
}
