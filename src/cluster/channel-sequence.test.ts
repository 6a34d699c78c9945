import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ChannelSequencer, GapTracker, STALE } from './channel-sequence.js'

const E = 7 // a sender's epoch

test('the sender numbers each channel from 0 within its epoch; a failed publish gives its number back', () => {
  const seqs = new ChannelSequencer()
  const epoch = seqs.epoch
  assert.deepEqual([seqs.take(['a']), seqs.take(['a']), seqs.take(['b', 'a'])], [[0], [1], [0, 2]])
  seqs.untake('a', 2)
  assert.deepEqual(seqs.take(['a']), [2], 'a number given back (publish failed) is reused')
  seqs.untake('b', 0)
  assert.deepEqual(seqs.take(['b']), [0], 'a channel whose first publish failed starts again at 0')
  assert.equal(seqs.epoch, epoch)
  assert.notEqual(new ChannelSequencer().epoch, epoch, 'another sender instance, another epoch (1 in 2^32 to collide)')
})

test('the sender wraps 0xFFFFFFFF to 1, and forgets its counters only with a new epoch', () => {
  const seqs = new ChannelSequencer()
  seqs.take(['w'])
  seqs.untake('w', 0xffffffff + 1) // sets the last number to 0xFFFFFFFF
  assert.deepEqual(seqs.take(['w']), [1])
  const epoch = seqs.epoch
  for (let i = 0; i < 99_999; i++) seqs.take([`c${i}`])
  assert.equal(seqs.epoch, epoch, '100,000 channels are remembered')
  assert.deepEqual(seqs.take(['w', 'x']), [0, 0], 'one more: every counter restarts…')
  assert.notEqual(seqs.epoch, epoch, '…in a new epoch, before any number of the broadcast is taken')
})

test('in-order numbers count nothing; a jump counts the broadcasts in between', () => {
  const gaps = new GapTracker()
  gaps.track('c')
  assert.deepEqual([0, 1, 2, 3].map((seq) => gaps.observe('c', 's', E, seq)), [0, 0, 0, 0])
  assert.equal(gaps.observe('c', 's', E, 7), 3, '4, 5 and 6 were missed')
  assert.equal(gaps.observe('c', 's', E, 8), 0)
  assert.equal(gaps.observe('c', 'other', E, 500), 0, 'the first number from a sender is its baseline')
  assert.equal(gaps.observe('c', 'other', E, 502), 1, 'senders are counted apart')
})

test('a duplicate or a late copy is STALE, and does not move the baseline', () => {
  const gaps = new GapTracker()
  gaps.track('c')
  gaps.observe('c', 's', E, 10)
  assert.equal(gaps.observe('c', 's', E, 14), 3)
  assert.equal(gaps.observe('c', 's', E, 14), STALE, 'duplicate')
  assert.equal(gaps.observe('c', 's', E, 12), STALE, 'reordered: arrived after 14 (counted missed then)')
  assert.equal(gaps.observe('c', 's', E, 15), 0, 'the order continues from 14')
})

test('numbers wrap around u32: 0xFFFFFFFF is followed by 1', () => {
  const gaps = new GapTracker()
  gaps.track('c')
  gaps.observe('c', 's', E, 0xfffffffe)
  assert.equal(gaps.observe('c', 's', E, 0xffffffff), 0)
  assert.equal(gaps.observe('c', 's', E, 1), 0, 'wrapped in order')
  assert.equal(gaps.observe('c', 's', E, 4), 2)
  gaps.observe('c', 'x', E, 0xfffffffd)
  assert.equal(gaps.observe('c', 'x', E, 2), 3, '0xFFFFFFFE, 0xFFFFFFFF and 1 missed across the wrap')
  assert.equal(gaps.observe('c', 'x', E, 0xffffffff), STALE, 'from before the wrap: late')
})

test('the sender and the receiver agree across the wrap', () => {
  const seqs = new ChannelSequencer()
  const gaps = new GapTracker()
  gaps.track('c')
  seqs.take(['c'])
  seqs.untake('c', 0xffffffff) // the counter's last number is now 0xFFFFFFFE
  assert.equal(gaps.observe('c', 's', seqs.epoch, 0xfffffffe), 0)
  const sent = Array.from({ length: 6 }, () => seqs.take(['c'])[0]!)
  assert.deepEqual(sent, [0xffffffff, 1, 2, 3, 4, 5])
  const missed = [sent[0]!, sent[3]!, sent[5]!].map((seq) => gaps.observe('c', 's', seqs.epoch, seq))
  assert.deepEqual(missed, [0, 2, 1], '1, 2 and 4 were never observed')
})

test('a sender restarted with the same node id (new epoch): its numbers are not read as late; what it lost first is counted', () => {
  const gaps = new GapTracker()
  gaps.track('c')
  for (let seq = 0; seq <= 500; seq++) gaps.observe('c', 's', E, seq)
  assert.equal(gaps.observe('c', 's', E + 1, 0), 0, 'the new process’s first broadcast')
  assert.equal(gaps.observe('c', 's', E + 1, 1), 0)
  assert.equal(gaps.observe('c', 's', E + 2, 3), 3, 'another restart whose numbers 0, 1, 2 never arrived')
  assert.equal(gaps.observe('c', 's', E + 2, 4), 0)
})

test('resubscribing resets the baseline; untracked channels are not counted', () => {
  const gaps = new GapTracker()
  assert.equal(gaps.observe('c', 's', E, 5), 0, 'not subscribed: nothing is owed')
  gaps.track('c')
  gaps.observe('c', 's', E, 5)
  gaps.untrack('c')
  assert.equal(gaps.observe('c', 's', E, 50), 0, 'in flight after the unsubscribe: ignored')
  gaps.track('c')
  assert.equal(gaps.observe('c', 's', E, 90), 0, 'broadcasts while unsubscribed were never owed: a new baseline')
  assert.equal(gaps.observe('c', 's', E, 92), 1)
  gaps.track('c')
  assert.equal(gaps.observe('c', 's', E, 200), 0, 'track() again (a re-join) also starts afresh')
  gaps.forgetSender('s')
  assert.equal(gaps.observe('c', 's', E, 300), 0, 'a sender that said goodbye starts afresh')
  assert.equal(gaps.size, 1)
})
