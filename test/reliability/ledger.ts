// The exact accounting every fault case and the soak suite report: each request a client sent
// (accepted) ends as delivered (its one answer arrived), reported-failed (an error frame with its
// id, or the client saw its socket close while it was pending), or lost (neither). A second
// answer to an id is a duplicate; an answer to an id never sent is unexpected.
import { isDeepStrictEqual } from 'node:util'

export interface LedgerSummary {
  accepted: number
  delivered: number
  reportedFailed: number
  lost: number
  duplicates: number
  unexpected: number
  mismatched: number
}

export class RequestLedger {
  readonly #pending = new Map<string, unknown>()
  readonly #settled = new Set<string>()
  accepted = 0
  delivered = 0
  reportedFailed = 0
  duplicates = 0
  unexpected = 0
  mismatched = 0

  /** A request left the client; `expected` is the answer's `data` it must carry. */
  sent(id: string | number, expected: unknown): void {
    this.accepted++
    this.#pending.set(String(id), expected)
  }

  /** An answer arrived: a reply with `data`, or an error frame (`failed`). */
  answered(id: string | number, data: unknown, failed = false): void {
    const key = String(id)
    if (!this.#pending.has(key)) {
      if (this.#settled.has(key)) this.duplicates++
      else this.unexpected++
      return
    }
    const expected = this.#pending.get(key)
    this.#pending.delete(key)
    this.#settled.add(key)
    if (failed) this.reportedFailed++
    else if (isDeepStrictEqual(data, expected)) this.delivered++
    else this.mismatched++
  }

  /** The client saw its socket close: everything still pending is reported failed to the caller. */
  socketClosed(): string[] {
    const ids = [...this.#pending.keys()]
    for (const id of ids) this.#settled.add(id)
    this.reportedFailed += ids.length
    this.#pending.clear()
    return ids
  }

  get pending(): number {
    return this.#pending.size
  }

  summary(): LedgerSummary {
    const { accepted, delivered, reportedFailed, duplicates, unexpected, mismatched } = this
    return { accepted, delivered, reportedFailed, lost: accepted - delivered - reportedFailed - mismatched, duplicates, unexpected, mismatched }
  }

  /** Adds several ledgers' counts together. */
  static total(ledgers: Iterable<RequestLedger>): LedgerSummary {
    const sum: LedgerSummary = { accepted: 0, delivered: 0, reportedFailed: 0, lost: 0, duplicates: 0, unexpected: 0, mismatched: 0 }
    for (const ledger of ledgers) {
      const s = ledger.summary()
      for (const key of Object.keys(sum) as Array<keyof LedgerSummary>) sum[key] += s[key]
    }
    return sum
  }
}
