import type { HistoryRange, HistoryReadRequest, RecoveryReport, SinceRequest, StoredEntry } from '../contracts/history.js'

/** What one join's recovery sends: the `$recovery` report, the entries to replay, and the offset live frames must exceed. */
export interface RecoveryPlan {
  readonly report: RecoveryReport
  readonly entries: readonly StoredEntry[]
  /** Held live frames with an offset above this go out after the replay; the rest were replayed or predate the join. */
  readonly after: number
}

/** The bounds of one replay. */
export interface ReplayLimits {
  readonly maxReplayMessages: number
  readonly maxReplayBytes: number
}

/**
 * What to read for a join: nothing but the room's position for a plain join, the last N, or
 * one more than the most a resume may replay (so "too many" is seen without reading them all).
 */
export function readRequestFor(request: SinceRequest | undefined, limits: ReplayLimits): HistoryReadRequest {
  if (request === undefined) return { last: 0, limit: 0 }
  if ('last' in request) {
    const last = Math.min(request.last, limits.maxReplayMessages)
    return { last, limit: last }
  }
  return { after: request.offset, limit: limits.maxReplayMessages + 1 }
}

/**
 * Decides a join's recovery from what the store read. Either every missed message is replayed
 * (`recovered: true`), or none is and the report says why: never a partial replay.
 */
export function planRecovery(room: string, request: SinceRequest | undefined, range: HistoryRange, limits: ReplayLimits): RecoveryPlan {
  const { epoch, top } = range
  const answer = (entries: readonly StoredEntry[], recovered: boolean, reason?: RecoveryReport['reason']): RecoveryPlan => ({
    report: reason === undefined ? { room, recovered, epoch, offset: top, replayed: entries.length } : { room, recovered, reason, epoch, offset: top, replayed: 0 },
    entries,
    after: Math.max(top, entries.at(-1)?.offset ?? 0),
  })
  if (request === undefined) return answer([], true)
  if ('last' in request) return answer(newestWithin(sinceLastGap(range.entries), limits.maxReplayBytes), true)
  // A position the stream never reached belongs to a stream that was reset in between.
  if (request.epoch !== epoch || request.offset > top) return answer([], false, 'epoch-changed')
  if (request.offset === top) return answer([], true)
  const { entries } = range
  // A message between the position and now could not be stored: replaying the rest would hide its loss.
  if (entries.some((entry) => entry.gap === true)) return answer([], false, 'store-unavailable')
  if (!range.complete || entries.length > limits.maxReplayMessages || bytesOf(entries) > limits.maxReplayBytes) {
    return answer([], false, 'too-far-behind')
  }
  return answer(entries, true)
}

/** The entries from the last break on: "the last N" never spans a message that could not be stored. */
function sinceLastGap(entries: readonly StoredEntry[]): readonly StoredEntry[] {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.gap === true) return entries.slice(i)
  return entries
}

/** The newest entries whose data fits in `maxBytes`. */
function newestWithin(entries: readonly StoredEntry[], maxBytes: number): readonly StoredEntry[] {
  let bytes = 0
  let first = entries.length
  while (first > 0 && bytes + entries[first - 1]!.data.length <= maxBytes) bytes += entries[--first]!.data.length
  return first === 0 ? entries : entries.slice(first)
}

function bytesOf(entries: readonly StoredEntry[]): number {
  let bytes = 0
  for (const entry of entries) bytes += entry.data.length
  return bytes
}
