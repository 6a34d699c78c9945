import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BridgeRecord } from './bridge-records.js'
import { MAX_RECORDS_PER_MESSAGE, RecordBatcher } from './record-batcher.js'

const reply = (c: string, d: unknown = null): BridgeRecord => ({ t: 'a', c, d })

test('records added in one loop turn leave as one message per destination, after the I/O callbacks', async () => {
  const sent: Array<[string, unknown[]]> = []
  const batcher = new RecordBatcher<string>((key, body) => sent.push([key, JSON.parse(body.toString())]))
  batcher.add('n1', reply('1'))
  batcher.add('n2', reply('2'))
  batcher.add('n1', reply('3'))
  assert.equal(sent.length, 0, 'nothing is sent synchronously')
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(sent, [
    ['n1', [reply('1'), reply('3')]],
    ['n2', [reply('2')]],
  ])
})

test('a full batch leaves at once; a record that cannot be serialized throws for its caller only', async () => {
  const sent: unknown[][] = []
  const batcher = new RecordBatcher<string>((_key, body) => sent.push(JSON.parse(body.toString())))
  assert.throws(() => batcher.add('n', reply('x', 10n)), TypeError)
  for (let i = 0; i < MAX_RECORDS_PER_MESSAGE + 1; i++) batcher.add('n', reply(String(i)))
  assert.equal(sent.length, 1)
  assert.equal(sent[0]!.length, MAX_RECORDS_PER_MESSAGE)
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(sent.length, 2)
  assert.equal(sent[1]!.length, 1)
})

test('one record per message still flushes them together', async () => {
  const sent: unknown[][] = []
  const batcher = new RecordBatcher<string>((_key, body) => sent.push(JSON.parse(body.toString())), true)
  batcher.add('p', reply('1'))
  batcher.add('p', reply('2'))
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(sent, [[reply('1')], [reply('2')]])
})
