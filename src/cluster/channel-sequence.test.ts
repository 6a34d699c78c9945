import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ChannelSequencer, GapTracker, STALE } from './channel-sequence.js'

test('the sender numbers each channel from 0, and wraps 0xFFFFFFFF to 1', () => {
  const seqs = new ChannelSequencer()
  assert.deepEqual([seqs.take('a'), seqs.take('a'), seqs.take('b'), seqs.take('a')], [0, 1, 0, 2])
  seqs.untake('a', 2)
  assert.equal(seqs.take('a'), 2, 'a number given back (publish failed) is reused')
  seqs.untake('b', 0)
  assert.equal(seqs.take('b'), 0, 'a channel whose first publish failed starts again at 0')
  const wrapping = new ChannelSequencer()
  wrapping.take('w')
  wrapping.untake('w', 0xffffffff + 1) // sets the last number to 0xFFFFFFFF
  assert.equal(wrapping.take('w'), 1)
})

test('in-order numbers count nothing; a jump counts the broadcasts in between', () => {
  const gaps = new GapTracker()
  gaps.track('c')
  assert.deepEqual([0, 1, 2, 3].map((seq) => gaps.observe('c', 's', seq)), [0, 0, 0, 0])
  assert.equal(gaps.observe('c', 's', 7), 3, '4, 5 and 6 were missed')
  assert.equal(gaps.observe('c', 's', 8), 0)
  assert.equal(gaps.observe('c', 'other', 500), 0, 'the first number from a sender is its baseline')
  assert.equal(gaps.observe('c', 'other', 502), 1, 'senders are counted apart')
})

test('a duplicate or a late copy is STALE, and does not move the baseline', () => {
  const gaps = new GapTracker()
  gaps.track('c')
  gaps.observe('c', 's', 10)
  assert.equal(gaps.observe('c', 's', 14), 3)
  assert.equal(gaps.observe('c', 's', 14), STALE, 'duplicate')
  assert.equal(gaps.observe('c', 's', 12), STALE, 'reordered: arrived after 14 (counted missed then)')
  assert.equal(gaps.observe('c', 's', 15), 0, 'the order continues from 14')
})

test('numbers wrap around u32: 0xFFFFFFFF is followed by 1 (0 only ever starts a counter)', () => {
  const gaps = new GapTracker()
  gaps.track('c')
  gaps.observe('c', 's', 0xfffffffe)
  assert.equal(gaps.observe('c', 's', 0xffffffff), 0)
  assert.equal(gaps.observe('c', 's', 1), 0, 'wrapped in order')
  assert.equal(gaps.observe('c', 's', 4), 2)
  gaps.observe('c', 'x', 0xfffffffd)
  assert.equal(gaps.observe('c', 'x', 2), 3, '0xFFFFFFFE, 0xFFFFFFFF and 1 missed across the wrap')
  assert.equal(gaps.observe('c', 'x', 0xffffffff), STALE, 'before the wrap: late')
  // A sender numbering a channel afresh (it restarted, or forgot its counters) sends 0: a new baseline.
  assert.equal(gaps.observe('c', 'x', 0), 0)
  assert.equal(gaps.observe('c', 'x', 1), 0)
})

test('the sender and the receiver agree across the wrap', () => {
  const seqs = new ChannelSequencer()
  const gaps = new GapTracker()
  gaps.track('c')
  assert.equal(gaps.observe('c', 's', seqs.take('c')), 0)
  seqs.untake('c', 0xffffffff) // the counter's last number is now 0xFFFFFFFE
  gaps.track('c') // re-subscribed: the next number is the baseline
  assert.equal(gaps.observe('c', 's', 0xfffffffe), 0)
  const sent = Array.from({ length: 6 }, () => seqs.take('c'))
  assert.deepEqual(sent, [0xffffffff, 1, 2, 3, 4, 5])
  const missed = [sent[0]!, sent[3]!, sent[5]!].map((seq) => gaps.observe('c', 's', seq))
  assert.deepEqual(missed, [0, 2, 1], '1, 2 and 4 were never observed')
})

test('resubscribing resets the baseline; untracked channels are not counted', () => {
  const gaps = new GapTracker()
  assert.equal(gaps.observe('c', 's', 5), 0, 'not subscribed: nothing is owed')
  gaps.track('c')
  gaps.observe('c', 's', 5)
  gaps.untrack('c')
  assert.equal(gaps.observe('c', 's', 50), 0, 'in flight after the unsubscribe: ignored')
  gaps.track('c')
  assert.equal(gaps.observe('c', 's', 90), 0, 'broadcasts while unsubscribed were never owed: a new baseline')
  assert.equal(gaps.observe('c', 's', 92), 1)
  gaps.track('c')
  assert.equal(gaps.observe('c', 's', 200), 0, 'track() again (a re-join) also starts afresh')
  gaps.forgetSender('s')
  assert.equal(gaps.observe('c', 's', 300), 0, 'a sender that said goodbye starts afresh')
  assert.equal(gaps.size, 1)
})
