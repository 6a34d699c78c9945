import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HistoryRange, StoredEntry } from '../contracts/history.js'
import { planRecovery, readRequestFor } from './recovery-plan.js'

const limits = { maxReplayMessages: 3, maxReplayBytes: 100 }
const entry = (offset: number, data = '1'): StoredEntry => ({ offset, event: 'e', data, at: 0 })
const range = (entries: StoredEntry[], top: number, complete = true): HistoryRange => ({ epoch: 'E', top, entries, complete })

test('what a join reads: the position only, the last N (capped), or one more than a resume may replay', () => {
  assert.deepEqual(readRequestFor(undefined, limits), { last: 0, limit: 0 })
  assert.deepEqual(readRequestFor({ last: 10 }, limits), { last: 3, limit: 3 })
  assert.deepEqual(readRequestFor({ offset: 7, epoch: 'E' }, limits), { after: 7, limit: 4 })
})

test('a resume replays every missed message or none, with a reason', () => {
  const resume = { offset: 5, epoch: 'E' }
  const whole = planRecovery('r', resume, range([entry(6), entry(7)], 7), limits)
  assert.deepEqual(whole.report, { room: 'r', recovered: true, epoch: 'E', offset: 7, replayed: 2 })
  assert.equal(whole.after, 7)
  assert.deepEqual(planRecovery('r', resume, range([], 5), limits).report, { room: 'r', recovered: true, epoch: 'E', offset: 5, replayed: 0 })
  const reason = (r: HistoryRange, request = resume) => planRecovery('r', request, r, limits).report.reason
  assert.equal(reason(range([entry(6)], 6), { offset: 5, epoch: 'other' }), 'epoch-changed')
  assert.equal(reason(range([], 3)), 'epoch-changed', 'a position the stream never reached')
  assert.equal(reason(range([entry(7)], 7, false)), 'too-far-behind', 'trimmed')
  assert.equal(reason(range([entry(6), entry(7), entry(8), entry(9)], 9)), 'too-far-behind', 'more than maxReplayMessages')
  assert.equal(reason(range([entry(6, 'x'.repeat(101))], 6)), 'too-far-behind', 'more than maxReplayBytes')
  const refused = planRecovery('r', resume, range([entry(7)], 7, false), limits)
  assert.deepEqual([refused.entries.length, refused.report.replayed, refused.after], [0, 0, 7], 'no partial replay; live frames above the top go on')
})

test('last N replays the newest that fit in the byte bound; gaps in offsets are fine', () => {
  const plan = planRecovery('r', { last: 3 }, range([entry(2, 'x'.repeat(60)), entry(9, 'x'.repeat(30)), entry(12, 'x'.repeat(30))], 12), limits)
  assert.deepEqual(plan.entries.map((e) => e.offset), [9, 12])
  assert.equal(plan.report.recovered, true)
  assert.equal(planRecovery('r', { offset: 4, epoch: 'E' }, range([entry(9), entry(12)], 20), limits).report.replayed, 2)
})

test('a message the store could not keep (a gap mark on the next one): no resume spans it, and "the last N" starts after it', () => {
  const gapped: StoredEntry = { ...entry(7), gap: true }
  const resume = planRecovery('r', { offset: 5, epoch: 'E' }, range([entry(6), gapped, entry(8)], 8), limits)
  assert.deepEqual([resume.report.recovered, resume.report.reason, resume.entries.length], [false, 'store-unavailable', 0])
  const after = planRecovery('r', { offset: 7, epoch: 'E' }, range([entry(8)], 8), limits)
  assert.equal(after.report.recovered, true, 'a position past the mark resumes')
  const last = planRecovery('r', { last: 3 }, range([entry(6), gapped, entry(8)], 8), limits)
  assert.deepEqual(last.entries.map((e) => e.offset), [7, 8])
})
