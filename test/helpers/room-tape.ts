import type { GatewayClient } from '../../src/client/index.js'

/** What a history fault test's client saw of one stream, in arrival order. */
export type TapeEntry =
  | { readonly kind: 'msg'; readonly seq: number; readonly at: number; readonly offset?: number; readonly epoch?: string }
  | { readonly kind: 'recovery'; readonly recovered: boolean; readonly reason?: string; readonly replayed: number; readonly at: number }
  | { readonly kind: 'status'; readonly status: string; readonly at: number }

/**
 * Records a real `gangway-ws/client`'s view of one room's stream: the `msg` pushes whose
 * `tag` is the room (the nodes' control `emit` stamps it), its recovery reports and its status
 * changes, in the order they arrived; `until()` waits on them (no polling).
 */
export class RoomTape {
  readonly entries: TapeEntry[] = []
  readonly #waiters = new Set<() => void>()

  constructor(
    readonly client: GatewayClient,
    readonly room: string,
  ) {
    client.on('msg', (data) => {
      const { tag, seq } = data as { tag: string; seq: number }
      // The client moved its position to this push before calling listeners: its offset and epoch.
      if (tag === room) this.#push({ kind: 'msg', seq, at: Date.now(), ...client.position(room) })
    })
    client.onRecovery((report) => {
      if (report.room === room) this.#push({ kind: 'recovery', recovered: report.recovered, reason: report.reason, replayed: report.replayed, at: Date.now() })
    })
    client.onStatus(({ status }) => this.#push({ kind: 'status', status, at: Date.now() }))
  }

  /** The sequence numbers received, in arrival order. */
  seqs(): number[] {
    return this.entries.flatMap((e) => (e.kind === 'msg' ? [e.seq] : []))
  }

  /** The recovery reports from entry `from` on (a `mark()` taken earlier). */
  recoveries(from = 0): Array<Extract<TapeEntry, { kind: 'recovery' }>> {
    return this.entries.slice(from).filter((e): e is Extract<TapeEntry, { kind: 'recovery' }> => e.kind === 'recovery')
  }

  /** Where the tape is now, for `recoveries(mark)`. */
  mark(): number {
    return this.entries.length
  }

  /** Resolves once `check()` holds, re-checked after every new entry; rejects after `timeoutMs`. */
  until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!check()) return
        done()
        resolve()
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (room ${this.room}: ${this.summary()})`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(waiter)
      }
      this.#waiters.add(waiter)
    })
  }

  /** A short account for failure messages: counts, the last seq, the recovery reports and the epochs the pushes came in. */
  summary(): string {
    const seqs = this.seqs()
    // Each report with the seq received just before it: `true+12 after 99`.
    const recoveries: string[] = []
    let lastSeq: number | string = 'none'
    for (const e of this.entries) {
      if (e.kind === 'msg') lastSeq = e.seq
      else if (e.kind === 'recovery') recoveries.push(`${e.recovered}${e.reason ? `/${e.reason}` : ''}+${e.replayed} after ${lastSeq}`)
    }
    // Where the stream is not one run (seq n at offset k, n+1 at k+1, same epoch): each break, as seq@offset/epoch → seq@offset/epoch.
    const breaks: string[] = []
    let previous: Extract<TapeEntry, { kind: 'msg' }> | undefined
    const at = (e: Extract<TapeEntry, { kind: 'msg' }>) => `${e.seq}@${e.offset}/${e.epoch}`
    for (const e of this.entries) {
      if (e.kind !== 'msg') continue
      if (previous !== undefined && (e.seq !== previous.seq + 1 || e.epoch !== previous.epoch || e.offset !== (previous.offset ?? NaN) + 1)) breaks.push(`${at(previous)} → ${at(e)}`)
      previous = e
    }
    const shown = breaks.length > 8 ? [...breaks.slice(0, 4), `… ${breaks.length - 8} more …`, ...breaks.slice(-4)] : breaks
    return `${seqs.length} msgs, last seq ${seqs.at(-1) ?? 'none'}, recoveries [${recoveries.join(', ')}], ${breaks.length} breaks [${shown.join('; ')}]`
  }

  #push(entry: TapeEntry): void {
    this.entries.push(entry)
    for (const waiter of [...this.#waiters]) waiter()
  }
}

/** Where every message a publisher had accepted went, as one client saw the stream. */
export interface Ledger {
  accepted: number
  /** Received exactly once, in order. */
  delivered: number
  /** Not received, inside a gap the client was told about (a `recovered: false` report within the gap). */
  reported: number
  /** Not received and never reported: silent loss. */
  lost: number[]
  /** Received more than once. */
  duplicates: number[]
  /** Received after a higher sequence number. */
  reordered: number[]
}

/**
 * Accounts for every accepted sequence number: delivered, or missing inside a gap that a
 * `recovered: false` report falls in (the client learned it must refetch), or lost.
 * Missing numbers the publisher never had accepted (its publish failed) are not counted.
 */
export function ledger(entries: readonly TapeEntry[], accepted: Iterable<number>): Ledger {
  const acceptedSet = new Set(accepted)
  const seen = new Set<number>()
  const result: Ledger = { accepted: acceptedSet.size, delivered: 0, reported: 0, lost: [], duplicates: [], reordered: [] }
  let last = -1
  let reportedInGap = false
  const settleGap = (from: number, to: number) => {
    for (let seq = from; seq < to; seq++) {
      if (!acceptedSet.has(seq) || seen.has(seq)) continue
      if (reportedInGap) result.reported++
      else result.lost.push(seq)
    }
  }
  for (const entry of entries) {
    if (entry.kind === 'recovery') {
      if (!entry.recovered) reportedInGap = true
      continue
    }
    if (entry.kind !== 'msg') continue
    if (seen.has(entry.seq)) {
      result.duplicates.push(entry.seq)
      continue
    }
    seen.add(entry.seq)
    if (acceptedSet.has(entry.seq)) result.delivered++
    if (entry.seq < last) {
      result.reordered.push(entry.seq)
      continue
    }
    settleGap(last + 1, entry.seq)
    last = entry.seq
    reportedInGap = false
  }
  settleGap(last + 1, Math.max(-1, ...acceptedSet) + 1)
  return result
}
