import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { HeartbeatProbe } from './heartbeat-probe.js'

function probeWithClock(intervalMs: number, timeoutMs: number) {
  const events: string[] = []
  const probe = new HeartbeatProbe(intervalMs, timeoutMs, () => events.push(`probe@${Date.now()}`), () => events.push(`dead@${Date.now()}`))
  return { probe, events }
}

test('a quiet connection is probed after intervalMs and given up timeoutMs later', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  t.after(() => mock.timers.reset())
  const { probe, events } = probeWithClock(1000, 500)
  probe.start()
  mock.timers.tick(999)
  assert.deepEqual(events, [])
  mock.timers.tick(1)
  assert.deepEqual(events, ['probe@1000'])
  mock.timers.tick(500)
  assert.deepEqual(events, ['probe@1000', 'dead@1500'], 'dead exactly intervalMs + timeoutMs after the last frame')
})

test('any frame answers the probe; a busy connection is never probed', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
  t.after(() => mock.timers.reset())
  const { probe, events } = probeWithClock(1000, 500)
  probe.start()
  for (let at = 200; at <= 5000; at += 200) {
    mock.timers.tick(200)
    probe.heard()
  }
  assert.deepEqual(events, [], 'frames every 200 ms: no probe')
  mock.timers.tick(1000)
  assert.deepEqual(events, ['probe@6000'])
  mock.timers.tick(100)
  probe.heard() // the answer
  mock.timers.tick(400)
  assert.deepEqual(events, ['probe@6000'], 'answered: not dead')
  mock.timers.tick(600) // 1000 ms after the answer: probe again
  assert.deepEqual(events, ['probe@6000', 'probe@7100'])
  probe.stop()
  mock.timers.tick(10_000)
  assert.deepEqual(events, ['probe@6000', 'probe@7100'], 'stopped: no timer left')
})
