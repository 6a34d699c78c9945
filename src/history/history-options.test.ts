import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GatewayError } from '../errors/gateway-error.js'
import { HistoryRooms } from './history-rooms.js'
import { DEFAULT_HISTORY_OPTIONS, resolveHistoryOptions } from './history-options.js'

test('rules match by pattern, RegExp or predicate, first one wins; a join turns history on for its room', () => {
  const options = resolveHistoryOptions({
    rooms: [{ match: 'chat:*', size: 10 }, { match: /^feed-\d+$/g, ttlMs: 5 }, { match: (room) => room === 'x.y' }],
  })
  assert.equal(options.maxReplayMessages, DEFAULT_HISTORY_OPTIONS.maxReplayMessages)
  const rooms = new HistoryRooms(options.rules)
  assert.deepEqual(rooms.config('chat:a:b'), { size: 10, ttlMs: 600_000 })
  assert.deepEqual(rooms.config('feed-12'), { size: 1000, ttlMs: 5 })
  assert.deepEqual(rooms.config('feed-12'), { size: 1000, ttlMs: 5 }, 'a global RegExp matches every time')
  assert.ok(rooms.config('x.y'))
  assert.equal(rooms.config('xay'), undefined, 'a pattern is not a RegExp: "." is a dot')
  assert.equal(rooms.config('lobby'), undefined)
  assert.equal(rooms.configure('lobby', { size: 2, ttlMs: 3 }), 'added')
  assert.equal(rooms.configure('lobby', { size: 9, ttlMs: 9 }), 'known')
  assert.deepEqual(rooms.config('lobby'), { size: 2, ttlMs: 3 }, 'the first join wins')
  assert.equal(rooms.configure('chat:x', { size: 9, ttlMs: 9 }), 'known', 'a rule wins over a join')
  assert.deepEqual([...rooms.joined()], [['lobby', { size: 2, ttlMs: 3 }]])
})

test('impossible options throw CONFIG_INVALID naming the option', () => {
  const code = (fn: () => unknown) => assert.throws(fn, (e: GatewayError) => e.code === 'CONFIG_INVALID' && /history/.test(e.message))
  code(() => resolveHistoryOptions({ maxReplayMessages: 0 }))
  code(() => resolveHistoryOptions({ rooms: [{ match: '' }] }))
  code(() => resolveHistoryOptions({ rooms: [{ match: 'a', size: -1 }] }))
  code(() => resolveHistoryOptions({ store: {} as never }))
})
